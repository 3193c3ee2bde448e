import { type Context, Hono } from "hono";
import { AccountError } from "../../accounts/errors.ts";
import {
  type AccessToken,
  createToken,
  listTokens,
  MAX_TOKEN_NAME_LENGTH,
  revokeToken,
} from "../../accounts/tokens.ts";
import type { AppEnv, SessionUser } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { ClientError } from "../../http/errors.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";

const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "never");

/** Tokens are managed from a logged-in browser only, never with a token. */
function browserUser(c: Context<AppEnv>): SessionUser {
  const user = requireUser(c);
  if (user.scopes)
    throw new ClientError(403, "Tokens can only be managed from a logged-in browser.");
  return user;
}

function TokenTable(props: { tokens: AccessToken[]; csrfToken: string }) {
  if (props.tokens.length === 0) return <p class="muted">You have no tokens yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Scopes</th>
          <th>Created</th>
          <th>Last used</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.tokens.map((t) => (
          <tr data-token-id={String(t.id)}>
            <td>{t.name}</td>
            <td>{t.scopes.join(", ")}</td>
            <td>{when(t.createdAt)}</td>
            <td>{when(t.lastUsedAt)}</td>
            <td>
              {t.revokedAt ? (
                <span class="muted">Revoked {when(t.revokedAt)}</span>
              ) : (
                // Revoking cannot be undone: it asks first, on its own page.
                <a href={`/settings/tokens/${t.id}/revoke`} data-testid="revoke">
                  Revoke…
                </a>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function tokensRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const page = async (
    c: Context<AppEnv>,
    opts: { status?: 200 | 201 | 404 | 422; error?: string; notice?: string; created?: string },
  ) => {
    const user = browserUser(c);
    const tokens = await listTokens(c.var.deps.database.db, user.id);
    // A page that shows a token must not be kept by caches or the back button.
    c.header("Cache-Control", "no-store");
    return renderPage(
      c,
      { title: "Access tokens", status: opts.status ?? 200 },
      <>
        <FormMessage error={opts.error} notice={opts.notice} />
        {opts.created && (
          <div class="notice" role="status">
            <p>
              Your new token is shown <strong>only this once</strong>. Copy it now:
            </p>
            <p>
              <code data-testid="new-token">{opts.created}</code>
            </p>
          </div>
        )}
        <p>
          Personal access tokens let programs use the{" "}
          <a href="/api/flattr/v1/openapi.json">Fediflattr REST API</a> and the Mastodon API as you.
          Send one as <code>Authorization: Bearer …</code>. A "read" token can see your wallet,
          flattrs, earnings and statements; "write" can also set your budget, register things and
          flattr.
        </p>
        <form method="post" action="/settings/tokens" class="stack">
          <CsrfField token={c.var.csrfToken} />
          <label>
            Name
            <input type="text" name="name" required maxlength={MAX_TOKEN_NAME_LENGTH} />
            <small>So you recognise it later, e.g. "my blog".</small>
          </label>
          <label>
            <span>
              <input type="checkbox" name="write" value="1" /> Allow changes (write)
            </span>
            <small>
              Off: the token can only read. Give a program write access only if it must flattr, set
              your budget or register things for you.
            </small>
          </label>
          <button type="submit">Create token</button>
        </form>
        <h2>Your tokens</h2>
        <TokenTable tokens={tokens} csrfToken={c.var.csrfToken} />
      </>,
    );
  };

  app.get("/settings/tokens", requireLogin(), (c) =>
    page(c, {
      notice: c.req.query("revoked") !== undefined ? "The token was revoked." : undefined,
    }),
  );

  app.post("/settings/tokens", formGuard(), requireLogin(), async (c) => {
    const user = browserUser(c);
    const form = await readForm(c);
    const { database, clock } = c.var.deps;
    try {
      const { token } = await createToken(database.db, clock, user.id, {
        name: form.get("name"),
        scopes: form.get("write") ? ["read", "write"] : ["read"],
      });
      return page(c, { status: 201, created: token });
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      const status = errorStatus(e.code);
      return page(c, { status: status === 404 ? 404 : 422, error: e.message });
    }
  });

  app.get("/settings/tokens/:id/revoke", requireLogin(), async (c) => {
    const user = browserUser(c);
    const raw = c.req.param("id");
    const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : 0;
    const tokens = await listTokens(c.var.deps.database.db, user.id);
    const token = tokens.find((t) => t.id === id && !t.revokedAt);
    if (!token) return page(c, { status: 404, error: "No such token, or it was already revoked." });
    return renderPage(
      c,
      { title: "Revoke this token?" },
      <>
        <p>
          Programs that use the token “<bdi>{token.name}</bdi>” ({token.scopes.join(", ")}) stop
          working at once. This cannot be undone; you can create a new token later.
        </p>
        <form method="post" action={`/settings/tokens/${token.id}/revoke`} class="actions">
          <CsrfField token={c.var.csrfToken} />
          <button type="submit" data-testid="confirm-revoke">
            Revoke the token
          </button>
          <a href="/settings/tokens" class="button secondary">
            Keep it
          </a>
        </form>
      </>,
    );
  });

  app.post("/settings/tokens/:id/revoke", formGuard(), requireLogin(), async (c) => {
    const user = browserUser(c);
    const raw = c.req.param("id");
    const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : 0;
    const { database, clock } = c.var.deps;
    if (!(await revokeToken(database.db, clock, user.id, id)))
      return page(c, { status: 404, error: "No such token, or it was already revoked." });
    return c.redirect("/settings/tokens?revoked", 303);
  });

  return app;
}
