import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { OAuthError } from "../accounts/oauth/errors.ts";
import { DomainError } from "../errors.ts";
import type { AppEnv } from "../http/env.ts";
import { errorStatus, retryAfterSeconds } from "../http/error-status.ts";
import { ApiError, ClientError } from "../http/errors.ts";

const logger = getLogger(["fediflattr", "mastodon"]);

/*
 * Every answer of the Mastodon API is JSON, errors included, shaped as Mastodon's:
 * `{"error": "…"}`, and for OAuth refusals RFC 6749's `{"error": code, "error_description"}`.
 * Apps show `error` to people, so it is a sentence, except where OAuth wants a code.
 */

/** A refusal of the Mastodon surface itself, with headers (WWW-Authenticate, Retry-After). */
export class MastodonError extends ClientError {
  constructor(
    status: ContentfulStatusCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, message);
    this.name = "MastodonError";
  }
}

const REALM = 'Bearer realm="Doorkeeper"';

/** Mastodon's answer to a missing, unknown or revoked token. */
export const invalidToken = () =>
  new MastodonError(401, "The access token is invalid", {
    "WWW-Authenticate": `${REALM}, error="invalid_token", error_description="The access token is invalid"`,
  });

/** Mastodon's answer to a token without the scope a route needs. */
export const outsideScopes = (scope: string) =>
  new MastodonError(403, "This action is outside the authorized scopes", {
    "WWW-Authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"`,
  });

/** Mastodon's answer to an app-only token on a route that acts for a user. */
export const userRequired = () =>
  new MastodonError(422, "This method requires an authenticated user");

export const notFound = (what = "Record not found") => new MastodonError(404, what);

export function oauthErrorJson(c: Context, e: OAuthError, status?: ContentfulStatusCode): Response {
  return c.json(
    { error: e.code, error_description: e.message },
    status ?? (e.code === "invalid_client" ? 401 : 400),
  );
}

export function mastodonOnError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof OAuthError) return oauthErrorJson(c, err);
  if (err instanceof MastodonError || err instanceof ApiError)
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  if (err instanceof ClientError) return c.json({ error: err.message }, err.status);
  if (err instanceof DomainError) {
    const retryAfter = retryAfterSeconds(err.code, c.var.deps.config);
    if (retryAfter !== null) c.header("Retry-After", String(retryAfter));
    return c.json({ error: err.message }, errorStatus(err.code));
  }
  if (err instanceof HTTPException)
    return c.json({ error: err.message || "Request refused" }, err.status as ContentfulStatusCode);
  if (err instanceof SyntaxError)
    return c.json({ error: `Malformed request body: ${err.message}` }, 400);
  logger.error("Unhandled error on {method} {path}: {error}", {
    method: c.req.method,
    path: c.req.path,
    error: err,
  });
  return c.json({ error: "Internal server error" }, 500);
}

export function mastodonNotFound(c: Context): Response {
  return c.json({ error: "Record not found" }, 404);
}
