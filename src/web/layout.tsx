import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { Child, PropsWithChildren } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { MAX_RESOLVE_INPUT_LENGTH } from "../flattr/resolve-input.ts";
import type { AppEnv, SessionUser } from "../http/env.ts";
import { profilePath, searchPath } from "../http/urls.ts";
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
pre { overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; padding: 0.5rem 0.7rem;
  border: 1px solid var(--line); border-radius: 6px; }
.bio { white-space: pre-wrap; }
footer { color: var(--muted); font-size: 0.85rem; }
form.header-search { display: flex; gap: 0.3rem; margin: 0; flex: 1 1 12rem; max-width: 19rem; }
form.header-search input { flex: 1; min-width: 0; font: inherit; font-size: 0.9rem;
  padding: 0.35rem 0.5rem; border: 1px solid var(--line); border-radius: 6px;
  background: transparent; color: inherit; }
form.header-search button { font-size: 0.9rem; padding: 0.35rem 0.7rem; }
@media (max-width: 40rem) { form.header-search { order: 3; flex-basis: 100%; max-width: none; } }
a.button { display: inline-block; padding: 0.5rem 1rem; border-radius: 6px; text-decoration: none;
  background: var(--accent); color: var(--accent-fg); }
a.button.secondary { background: transparent; color: var(--fg); border: 1px solid var(--line); }
.big-line { font-size: 1.15rem; }
h1, h2, h3, td, th, li, p, dd { overflow-wrap: anywhere; }
bdi, .isolate { unicode-bidi: isolate; }
nav.site { display: flex; flex-wrap: wrap; gap: 0.25rem 0.9rem; border-top: 1px solid var(--line);
  max-width: 42rem; margin: 0 auto; padding: 0.4rem 1rem; font-size: 0.95rem; }
nav.site a[aria-current=page] { font-weight: 700; text-decoration: none; color: var(--fg); }
nav.site .group { display: flex; flex-wrap: wrap; gap: 0.25rem 0.9rem; }
nav.site .group.account { margin-left: auto; }
#nav-toggle { position: absolute; opacity: 0; pointer-events: none; }
label.nav-toggle { display: none; }
@media (max-width: 40rem) {
  label.nav-toggle { display: inline-block; font-weight: 600; cursor: pointer; padding: 0.25rem 0.6rem;
    border: 1px solid var(--line); border-radius: 6px; }
  #nav-toggle:not(:checked) ~ nav.site { display: none; }
  nav.site { flex-direction: column; }
  nav.site .group { flex-direction: column; gap: 0.1rem; }
  nav.site .group.account { margin-left: 0; border-top: 1px solid var(--line); padding-top: 0.3rem; }
  nav.site a, nav.site button.link { display: block; padding: 0.3rem 0; }
}
`;

/**
 * The site navigation: the money pages first (what a person comes back for), then the account.
 * Every page shows it; pages that add sections of their own (admin, payouts) add them here.
 */
export const MONEY_NAV: { href: string; label: string }[] = [
  { href: "/", label: "Home" },
  { href: "/flattrs", label: "This month" },
  { href: "/wallet", label: "Wallet" },
  { href: "/budget", label: "Budget" },
  { href: "/things", label: "My things" },
  { href: "/earnings", label: "Earnings" },
  { href: "/statements", label: "Statements" },
  { href: "/discover", label: "Discover" },
];

const ACCOUNT_NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: "/settings", label: "Settings" },
  { href: "/settings/tokens", label: "Tokens" },
  { href: "/settings/apps", label: "Apps" },
  { href: "/invites", label: "Invites" },
  { href: "/admin/deposits", label: "Admin", admin: true },
];

/** The current page's own entry, or the one whose section it is in ("/things/new" → My things). */
function currentHref(path: string, hrefs: string[]): string | undefined {
  if (hrefs.includes(path)) return path;
  return hrefs
    .filter((h) => h !== "/" && path.startsWith(`${h}/`))
    .sort((a, b) => b.length - a.length)[0];
}

function SiteNav(props: { user: SessionUser; path: string; csrfToken: string }) {
  const { user } = props;
  const account = ACCOUNT_NAV.filter((a) => !a.admin || user.isAdmin);
  const current = currentHref(
    props.path,
    [...MONEY_NAV, ...account].map((n) => n.href),
  );
  const link = (n: { href: string; label: string }) => (
    <a href={n.href} aria-current={n.href === current ? "page" : undefined}>
      {n.label}
    </a>
  );
  return (
    <nav class="site" aria-label="Site" data-testid="site-nav">
      <div class="group">{MONEY_NAV.map(link)}</div>
      <div class="group account">
        <span data-testid="current-user">
          Logged in as <a href={profilePath(user.username)}>@{user.username}</a>
        </span>
        {account.map(link)}
        <form method="post" action="/logout">
          <CsrfField token={props.csrfToken} />
          <button type="submit" class="link">
            Log out
          </button>
        </form>
      </div>
    </nav>
  );
}

/** The site header's search box: a handle or address to find and flattr (src/web/pages/search.tsx). */
function HeaderSearch() {
  return (
    <form method="get" action={searchPath()} class="header-search">
      <input
        type="search"
        name="q"
        required
        maxlength={MAX_RESOLVE_INPUT_LENGTH}
        placeholder="@alice@example.org or https://…"
        aria-label="Find a profile or post to flattr"
        autocomplete="off"
        spellcheck={false}
      />
      <button type="submit">Find</button>
    </form>
  );
}

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
  /** The request path, to mark the current page in the navigation. */
  path: string;
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
            {user && <HeaderSearch />}
            {user ? (
              <label for="nav-toggle" class="nav-toggle">
                Menu
              </label>
            ) : (
              <nav aria-label="Account">
                <a href="/discover">Discover</a>
                <a href="/login">Log in</a>
                {props.signupOpen && <a href="/signup">Sign up</a>}
              </nav>
            )}
          </div>
          {user && (
            <>
              <input type="checkbox" id="nav-toggle" aria-label="Show the menu" />
              <SiteNav user={user} path={props.path} csrfToken={props.csrfToken} />
            </>
          )}
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
        path={c.req.path}
        head={options.head}
      >
        {content}
      </Layout>
    )}`,
    options.status ?? 200,
  );
}
