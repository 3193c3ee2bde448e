import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { Child, PropsWithChildren } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv, SessionUser } from "../http/env.ts";
import { profilePath } from "../http/urls.ts";
import { CSRF_FIELD } from "./csrf.ts";

const CSS = `
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fafaf8; --muted: #6b6b70; --line: #dcdcd6;
  --accent: #2f7d32; --accent-fg: #fff; --err: #b3261e; --err-bg: #fdecea; --ok-bg: #e8f5e9;
  --warn: #b26a00; --warn-bg: #fff4e0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8e6; --bg: #161617; --muted: #a0a0a6;
  --line: #38383c; --accent: #66bb6a; --accent-fg: #0b1a0c; --err: #ff8a80; --err-bg: #3b1614;
  --ok-bg: #15301a; --warn: #ffb74d; --warn-bg: #3a2a10; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); }
header { border-bottom: 1px solid var(--line); }
header .bar, main, footer { max-width: 42rem; margin: 0 auto; padding: 0.75rem 1rem; }
header .bar { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
header .brand { font-weight: 700; text-decoration: none; color: var(--accent); margin-right: auto; }
nav { display: flex; gap: 0.9rem; align-items: center; flex-wrap: wrap; }
nav form { margin: 0; }
a { color: var(--accent); }
h1 { font-size: 1.6rem; margin: 1rem 0; }
form.stack { display: grid; gap: 0.9rem; max-width: 26rem; }
label { display: grid; gap: 0.25rem; font-weight: 600; }
label small, .muted { color: var(--muted); font-weight: 400; }
input[type=text], input[type=email], input[type=password], textarea { font: inherit; padding: 0.5rem;
  border: 1px solid var(--line); border-radius: 6px; background: transparent; color: inherit;
  font-weight: 400; }
textarea { min-height: 7rem; resize: vertical; }
button { font: inherit; padding: 0.5rem 1rem; border: 0; border-radius: 6px; cursor: pointer;
  background: var(--accent); color: var(--accent-fg); justify-self: start; }
button.link { background: none; color: var(--accent); padding: 0; text-decoration: underline; }
button.secondary { background: transparent; color: var(--fg); border: 1px solid var(--line); }
.warning { padding: 0.6rem 0.8rem; border-radius: 6px; background: var(--warn-bg);
  border-left: 4px solid var(--warn); }
.stack { display: grid; gap: 0.75rem; }
.actions { display: flex; gap: 0.75rem; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 0 1rem; }
.card h2 { font-size: 1.15rem; }
.error, .notice { padding: 0.6rem 0.8rem; border-radius: 6px; }
.error { background: var(--err-bg); color: var(--err); }
.notice { background: var(--ok-bg); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); }
code { font-family: ui-monospace, monospace; font-size: 0.95em; }
.bio { white-space: pre-wrap; }
footer { color: var(--muted); font-size: 0.85rem; }
`;

/** The hidden CSRF field every form that POSTs must contain. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

/** A message box for form errors (role=alert so screen readers announce it). */
export function FormMessage(props: { error?: string | null; notice?: string | null }) {
  if (props.error) {
    return (
      <p class="error" role="alert">
        {props.error}
      </p>
    );
  }
  if (props.notice) {
    return (
      <p class="notice" role="status">
        {props.notice}
      </p>
    );
  }
  return null;
}

export interface LayoutProps {
  title: string;
  user: SessionUser | null;
  csrfToken: string;
  /** Host of the instance, shown next to the name. */
  host: string;
  /** Whether to offer "Sign up" to visitors. */
  signupOpen: boolean;
  head?: Child;
}

/** The page frame: header with the login state, main content, footer. */
function Layout(props: PropsWithChildren<LayoutProps>) {
  const { user } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Fediflattr`}</title>
        <style>{raw(CSS)}</style>
        {props.head}
      </head>
      <body>
        <header>
          <div class="bar">
            <a class="brand" href="/">
              Fediflattr <span class="muted">{props.host}</span>
            </a>
            <nav aria-label="Account">
              {user ? (
                <>
                  <span data-testid="current-user">
                    Logged in as <a href={profilePath(user.username)}>@{user.username}</a>
                  </span>
                  <a href="/flattrs">Flattrs</a>
                  <a href="/settings">Settings</a>
                  <a href="/settings/tokens">Tokens</a>
                  <a href="/settings/apps">Apps</a>
                  <a href="/invites">Invites</a>
                  <form method="post" action="/logout">
                    <CsrfField token={props.csrfToken} />
                    <button type="submit" class="link">
                      Log out
                    </button>
                  </form>
                </>
              ) : (
                <>
                  <a href="/login">Log in</a>
                  {props.signupOpen && <a href="/signup">Sign up</a>}
                </>
              )}
            </nav>
          </div>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
        <footer>Fediflattr: Flattr for the fediverse.</footer>
      </body>
    </html>
  );
}

/** Renders `content` in the layout with the request's user and CSRF token. */
export function renderPage(
  c: Context<AppEnv>,
  options: { title: string; status?: ContentfulStatusCode; head?: Child },
  content: Child,
) {
  const { config } = c.var.deps;
  // The doctype keeps browsers out of quirks mode; JSX cannot express it.
  return c.html(
    html`<!doctype html>${(
      <Layout
        title={options.title}
        user={c.var.user}
        csrfToken={c.var.csrfToken}
        host={config.origin.host}
        signupOpen={config.registration !== "closed"}
        head={options.head}
      >
        {content}
      </Layout>
    )}`,
    options.status ?? 200,
  );
}
