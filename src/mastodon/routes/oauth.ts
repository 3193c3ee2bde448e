import { type Context, Hono } from "hono";
import * as v from "valibot";
import { authenticateClient, type OAuthApp } from "../../accounts/oauth/apps.ts";
import { OAuthError } from "../../accounts/oauth/errors.ts";
import { clientCredentials, exchangeCode } from "../../accounts/oauth/grants.ts";
import { ALL_SCOPES } from "../../accounts/oauth/scopes.ts";
import { revokeAppToken } from "../../accounts/oauth/tokens.ts";
import type { AppEnv } from "../../http/env.ts";
import { lenient, parseParams } from "../input.ts";

/*
 * The OAuth 2 endpoints apps call directly: token (RFC 6749 §4.1.3, §4.4), revocation
 * (RFC 7009) and the server metadata (RFC 8414). The authorization page itself is a page
 * (src/web/pages/oauth-authorize.tsx): it needs the browser's session.
 */

const TokenParams = v.object({
  grant_type: lenient.string(),
  code: lenient.string(),
  redirect_uri: lenient.string(),
  code_verifier: lenient.string(),
  scope: lenient.string(),
  client_id: lenient.string(),
  client_secret: lenient.string(),
});

const RevokeParams = v.object({
  token: lenient.string(),
  client_id: lenient.string(),
  client_secret: lenient.string(),
});

/** HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded), if sent. */
function basicCredentials(c: Context): { id: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(c.req.header("authorization") ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const part = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  return { id: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
}

/** The client of a token or revocation request, by Basic auth or by the body's fields. */
async function client(
  c: Context<AppEnv>,
  body: { client_id?: string; client_secret?: string },
): Promise<OAuthApp> {
  const basic = basicCredentials(c);
  const id = basic?.id ?? body.client_id ?? "";
  const secret = basic?.secret ?? body.client_secret ?? "";
  if (id === "")
    throw new OAuthError(
      "invalid_client",
      "Client authentication is required (client_id and client_secret).",
    );
  return authenticateClient(c.var.deps.database.db, id, secret);
}

export function oauthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/oauth/token", async (c) => {
    const p = await parseParams(c, TokenParams);
    const { database, clock } = c.var.deps;
    const grant = p.grant_type ?? "";
    if (grant !== "authorization_code" && grant !== "client_credentials")
      throw new OAuthError(
        "unsupported_grant_type",
        grant === ""
          ? "grant_type is required (authorization_code or client_credentials)."
          : "Only the authorization_code and client_credentials grants are supported.",
      );
    const found = await client(c, p);
    const issued = await (async () => {
      if (grant === "client_credentials")
        return clientCredentials(database.db, clock, found, p.scope);
      if (!p.code) throw new OAuthError("invalid_request", "code is required.");
      return exchangeCode(database.db, clock, found, {
        code: p.code,
        redirectUri: p.redirect_uri,
        codeVerifier: p.code_verifier,
      });
    })();
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({
      access_token: issued.token,
      token_type: "Bearer",
      scope: issued.scopes.join(" "),
      created_at: Math.floor(issued.createdAt.getTime() / 1000),
    });
  });

  app.post("/oauth/revoke", async (c) => {
    const p = await parseParams(c, RevokeParams);
    const found = await client(c, p);
    if (!p.token) throw new OAuthError("invalid_request", "token is required.");
    const { database, clock } = c.var.deps;
    await revokeAppToken(database.db, clock, found, p.token);
    // RFC 7009 §2.2: the same answer whether or not there was such a token.
    return c.json({});
  });

  app.get("/.well-known/oauth-authorization-server", (c) => {
    const at = (path: string) => new URL(path, c.var.deps.config.origin).href;
    c.header("Cache-Control", "public, max-age=3600");
    return c.json({
      issuer: at("/"),
      authorization_endpoint: at("/oauth/authorize"),
      token_endpoint: at("/oauth/token"),
      revocation_endpoint: at("/oauth/revoke"),
      app_registration_endpoint: at("/api/v1/apps"),
      scopes_supported: ALL_SCOPES,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      code_challenge_methods_supported: ["S256", "plain"],
      service_documentation: "https://docs.joinmastodon.org/methods/oauth/",
    });
  });

  return app;
}
