import type { Context, MiddlewareHandler } from "hono";
import { scopeAllows, type Scope as TokenScope } from "../accounts/oauth/scopes.ts";
import { OAUTH_TOKEN_PREFIX, TOKEN_PREFIX, verifyToken } from "../accounts/tokens.ts";
import type { Deps } from "../deps.ts";
import type { AppEnv, SessionUser } from "./env.ts";
import { ApiError } from "./errors.ts";

/*
 * Bearer tokens, for the surfaces that take them (the REST API, the Mastodon API): a middleware a
 * router registers for itself, never decided by a path prefix, and separate from the session
 * cookie (src/web/session.ts), which never authenticates these routes. Every kind of token is a
 * row of one table (ADR 0008) and one resolver here finds any of them that acts for a user;
 * BEARER_RESOLVERS stays a list so a token kind from elsewhere could join.
 */

/** Who a bearer token belongs to, or null for tokens that are not this resolver's kind. */
export type BearerResolver = (deps: Deps, token: string) => Promise<SessionUser | null>;

/**
 * Puts the request's bearer token on `c.var.bearerToken` and a lookup of its user on
 * `c.var.bearerUser`, which asks the database on its first call only, and only then: a route
 * that checks the token inside its own statement (the API flattr, ADR 0005) never triggers it.
 */
export function bearerAuth(resolve: BearerResolver): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (token) {
      // c.get, not c.var: Hono builds a fresh object of every variable for each c.var read.
      const deps = c.get("deps");
      let found: Promise<SessionUser | null> | undefined;
      c.set("bearerToken", token);
      c.set("bearerUser", () => {
        found ??= resolve(deps, token);
        return found;
      });
    }
    await next();
  };
}

/**
 * Tokens that act for a user: personal access tokens and OAuth tokens (src/accounts/tokens.ts).
 * App-only tokens act for nobody and are not found here. The user it returns carries `scopes`:
 * that is how a route tells a bearer caller from a cookie.
 */
export const accessTokenResolver: BearerResolver = async (deps, token) => {
  if (!token.startsWith(TOKEN_PREFIX) && !token.startsWith(OAUTH_TOKEN_PREFIX)) return null;
  const user = await verifyToken(deps.database.db, deps.clock, token);
  if (!user) return null;
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    isAdmin: user.isAdmin,
    scopes: user.scopes,
    tokenId: user.tokenId,
    appId: user.appId,
  };
};

/** Add new kinds of tokens here. */
export const BEARER_RESOLVERS: readonly BearerResolver[] = [accessTokenResolver];

/** One resolver trying each of `resolvers` in turn. */
export function bearerResolvers(resolvers: readonly BearerResolver[]): BearerResolver {
  return async (deps, token) => {
    for (const resolve of resolvers) {
      const user = await resolve(deps, token);
      if (user) return user;
    }
    return null;
  };
}

/**
 * What a REST API route asks for. Mastodon's top-level scopes of the same names: only a token
 * holding `read` (or `write`) itself satisfies them (src/accounts/oauth/scopes.ts says why);
 * a flattr asks for `write:favourites`, which `write` covers, as the star does.
 */
export type Scope = "read" | "write" | "write:favourites";

const REALM = 'Bearer realm="fediflattr"';

/**
 * The caller of a bearer route: a token (never a cookie: the API allows any origin, so ambient
 * credentials must not count) with `scope`. Missing or unknown token → 401 with
 * WWW-Authenticate; a token without the scope → 403 (RFC 6750). The token is looked up here, on
 * first use, through the resolver the route's `bearerAuth()` was given.
 */
export async function apiUser(c: Context<AppEnv>, scope: Scope): Promise<SessionUser> {
  const user = (await c.var.bearerUser?.()) ?? null;
  if (!user?.scopes) throw c.var.bearerToken ? invalidTokenError() : missingTokenError();
  if (!scopeAllows(user.scopes, scope satisfies TokenScope)) throw insufficientScopeError(scope);
  return user;
}

export function missingTokenError(): ApiError {
  return new ApiError(
    401,
    'This API needs an access token: send "Authorization: Bearer <token>" (create one at /settings/tokens, or sign in with an app over OAuth).',
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
