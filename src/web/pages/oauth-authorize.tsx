import { type Context, Hono } from "hono";
import { findAppByClientId } from "../../accounts/oauth/apps.ts";
import { OAuthError } from "../../accounts/oauth/errors.ts";
import {
  type AuthorizationParams,
  type AuthorizationRequest,
  checkAuthorization,
  isOob,
  issueCode,
} from "../../accounts/oauth/grants.ts";
import { canFlattr } from "../../accounts/oauth/scopes.ts";
import { getBudget } from "../../flattr/budget.ts";
import type { AppEnv } from "../../http/env.ts";
import { formatMoney } from "../../money/format.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";
import { LoginForm } from "./login.tsx";
import { scopeWords } from "./oauth-scopes.ts";

/*
 * The OAuth consent page (`/oauth/authorize`), where a person lets a Mastodon app use their
 * account. It is a page, not part of the Mastodon API: it needs the session cookie and CSRF.
 * Requests that name an unknown app or a redirect URI the app did not register get a page here
 * and are never sent anywhere; other refusals go back to the app (RFC 6749 §4.1.2.1).
 */

const FIELDS = [
  "client_id",
  "redirect_uri",
  "response_type",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
] as const;

type Fields = Partial<Record<(typeof FIELDS)[number], string>>;

const truthy = (s: string | undefined) =>
  s !== undefined && ["1", "true", "on", "yes"].includes(s.toLowerCase());

function errorPage(c: Context<AppEnv>, message: string) {
  return renderPage(
    c,
    { title: "This sign-in link does not work", status: 400 },
    <>
      <p class="error" role="alert">
        {message}
      </p>
      <p>Go back to the app and try again; if it keeps happening, tell the app's makers.</p>
    </>,
  );
}

/** Where the browser goes with the outcome: the redirect URI with `params` added. */
function backToApp(c: Context<AppEnv>, redirectUri: string, params: Record<string, string>) {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  c.header("Cache-Control", "no-store");
  return c.redirect(url.href, 303);
}

type Checked = { request: AuthorizationRequest } | { response: Response | Promise<Response> };

async function check(c: Context<AppEnv>, fields: Fields): Promise<Checked> {
  const app = await findAppByClientId(c.var.deps.database.db, fields.client_id ?? "");
  if (!app)
    return {
      response: errorPage(
        c,
        "The app is not known here (unknown client_id). It may have been registered on another server.",
      ),
    };
  let checked: ReturnType<typeof checkAuthorization>;
  try {
    checked = checkAuthorization(app, fields as AuthorizationParams);
  } catch (e) {
    if (e instanceof OAuthError) return { response: errorPage(c, e.message) };
    throw e;
  }
  if (checked.ok) return { request: checked.request };
  const { error, redirectUri } = checked;
  if (isOob(redirectUri)) return { response: errorPage(c, error.message) };
  return {
    response: backToApp(c, redirectUri, {
      error: error.code,
      error_description: error.message,
      ...(fields.state ? { state: fields.state } : {}),
    }),
  };
}

function Hidden(props: { request: AuthorizationRequest; fields: Fields }) {
  const { request, fields } = props;
  const values: Record<string, string | undefined> = {
    client_id: request.app.clientId,
    // Only as given: a request without one must make a token request without one.
    redirect_uri: request.redirectUriGiven ? request.redirectUri : undefined,
    response_type: "code",
    scope: request.scopes.join(" "),
    state: fields.state,
    code_challenge: request.codeChallenge,
    code_challenge_method: request.codeChallengeMethod,
  };
  return (
    <>
      {Object.entries(values).map(([name, value]) =>
        value === undefined ? null : <input type="hidden" name={name} value={value} />,
      )}
    </>
  );
}

async function consentPage(c: Context<AppEnv>, request: AuthorizationRequest, fields: Fields) {
  const user = requireUser(c);
  const { config, database } = c.var.deps;
  const { app } = request;
  const flattrs = canFlattr(request.scopes);
  const budget = flattrs ? await getBudget(database.db, config, user.id) : null;
  c.header("Cache-Control", "no-store");
  return renderPage(
    c,
    { title: `Authorize ${app.name}` },
    <div class="stack consent" data-testid="consent">
      <p>
        <strong>{app.name}</strong>
        {app.website && (
          <>
            {" "}
            (
            <a href={app.website} rel="noopener noreferrer nofollow" target="_blank">
              {app.website}
            </a>
            )
          </>
        )}{" "}
        wants to use your account <strong>@{user.username}</strong>. It will be able to:
      </p>
      <ul data-testid="scopes">
        {request.scopes.map((s) => (
          <li>
            {scopeWords(s)} <code class="muted">{s}</code>
          </li>
        ))}
      </ul>
      {flattrs && (
        <p class="warning" role="note" data-testid="flattr-warning">
          <strong>This app can flattr for you.</strong> A star (favourite) in the app is a flattr:
          at the end of the month your monthly budget
          {budget ? (
            <>
              {" "}
              of <strong>{formatMoney(budget.amount, budget.currency)}</strong>
            </>
          ) : (
            <> (you have not set one yet)</>
          )}{" "}
          is split over everything you flattred, also what you flattred through this app. You can
          see and withdraw this month's flattrs on <a href="/flattrs">Flattrs</a>.
        </p>
      )}
      <p class="muted">
        You will be sent back to{" "}
        <code>{isOob(request.redirectUri) ? "a page showing a code" : request.redirectUri}</code>.
        You can revoke this app at any time on <a href="/settings/apps">Authorized apps</a>.
      </p>
      <form method="post" action="/oauth/authorize" class="actions">
        <CsrfField token={c.var.csrfToken} />
        <Hidden request={request} fields={fields} />
        <button type="submit" name="decision" value="approve">
          Authorize
        </button>{" "}
        <button type="submit" name="decision" value="deny" class="secondary">
          Deny
        </button>
      </form>
    </div>,
  );
}

export function oauthAuthorizeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/oauth/authorize", async (c) => {
    const query = c.req.query();
    const fields: Fields = {};
    for (const k of FIELDS) if (typeof query[k] === "string") fields[k] = query[k];
    const checked = await check(c, fields);
    if ("response" in checked) return checked.response;
    const url = new URL(c.req.url);
    url.searchParams.delete("force_login");
    const back = url.pathname + url.search;
    if (!c.var.user) return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
    // force_login: the app wants the person to sign in again (e.g. to pick another account).
    if (truthy(query.force_login))
      return renderPage(
        c,
        { title: `Log in to authorize ${checked.request.app.name}` },
        <LoginForm csrfToken={c.var.csrfToken} username="" next={back} />,
      );
    return consentPage(c, checked.request, fields);
  });

  app.post("/oauth/authorize", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    const fields: Fields = {};
    for (const k of FIELDS) if (form.get(k) !== "") fields[k] = form.get(k);
    const checked = await check(c, fields);
    if ("response" in checked) return checked.response;
    const { request } = checked;
    const state: Record<string, string> = fields.state ? { state: fields.state } : {};
    if (form.get("decision") !== "approve") {
      if (isOob(request.redirectUri))
        return renderPage(
          c,
          { title: "Not authorized" },
          <p>You did not authorize {request.app.name}.</p>,
        );
      return backToApp(c, request.redirectUri, {
        error: "access_denied",
        error_description: "The user denied the request.",
        ...state,
      });
    }
    const { database, clock } = c.var.deps;
    const code = await issueCode(database.db, clock, request, user.id);
    if (!isOob(request.redirectUri)) return backToApp(c, request.redirectUri, { code, ...state });
    c.header("Cache-Control", "no-store");
    return renderPage(
      c,
      { title: `${request.app.name} is authorized` },
      <>
        <p>Copy this code and paste it into {request.app.name}:</p>
        <p>
          <code data-testid="oauth-code">{code}</code>
        </p>
        <p class="muted">It works once, within ten minutes.</p>
      </>,
    );
  });

  return app;
}
