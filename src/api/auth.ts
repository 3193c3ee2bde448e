import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, SessionUser } from "../web/env.ts";
import { ApiError } from "./errors.ts";

export type Scope = "read" | "write";

const REALM = 'Bearer realm="fediflattr"';

/**
 * Guards an API route: a bearer token (never a cookie: the API allows any origin, so ambient
 * credentials must not count) with `scope`. Missing or unknown token → 401 with
 * WWW-Authenticate; a token without the scope → 403 (RFC 6750). The token's user was resolved by
 * the session middleware through src/web/bearer.ts and carries its scopes.
 */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    tokenUser(c, scope);
    await next();
  };
}

export function tokenUser(c: Context<AppEnv>, scope: Scope): SessionUser {
  const user = c.var.user;
  if (!user?.scopes) {
    const sent = /^Bearer\s+\S+\s*$/i.test(c.req.header("authorization") ?? "");
    if (sent)
      throw new ApiError(401, "The access token is invalid or has been revoked.", "invalid_token", {
        "WWW-Authenticate": `${REALM}, error="invalid_token"`,
      });
    throw new ApiError(
      401,
      'This API needs an access token: send "Authorization: Bearer <token>" (create one at /settings/tokens).',
      "unauthorized",
      { "WWW-Authenticate": REALM },
    );
  }
  if (!user.scopes.includes(scope))
    throw new ApiError(403, `This access token lacks the "${scope}" scope.`, "insufficient_scope", {
      "WWW-Authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"`,
    });
  return user;
}
