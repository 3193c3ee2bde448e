import type { Context } from "hono";
import type { AppEnv, SessionUser } from "../web/env.ts";
import { ApiError } from "./errors.ts";

export type Scope = "read" | "write";

const REALM = 'Bearer realm="fediflattr"';

/**
 * The caller of an API route: a bearer token (never a cookie: the API allows any origin, so
 * ambient credentials must not count) with `scope`. Missing or unknown token → 401 with
 * WWW-Authenticate; a token without the scope → 403 (RFC 6750). The token is looked up here, on
 * first use, through the resolvers the session middleware was given (src/web/bearer.ts).
 */
export async function apiUser(c: Context<AppEnv>, scope: Scope): Promise<SessionUser> {
  const user = (await c.var.bearerUser?.()) ?? null;
  if (!user?.scopes) throw c.var.bearerToken ? invalidTokenError() : missingTokenError();
  if (!user.scopes.includes(scope)) throw insufficientScopeError(scope);
  return user;
}

export function missingTokenError(): ApiError {
  return new ApiError(
    401,
    'This API needs an access token: send "Authorization: Bearer <token>" (create one at /settings/tokens).',
    "unauthorized",
    { "WWW-Authenticate": REALM },
  );
}

export function invalidTokenError(): ApiError {
  return new ApiError(401, "The access token is invalid or has been revoked.", "invalid_token", {
    "WWW-Authenticate": `${REALM}, error="invalid_token"`,
  });
}

export function insufficientScopeError(scope: Scope): ApiError {
  return new ApiError(403, `This access token lacks the "${scope}" scope.`, "insufficient_scope", {
    "WWW-Authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"`,
  });
}
