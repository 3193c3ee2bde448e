import type { Context, MiddlewareHandler } from "hono";
import { type Scope, scopeAllows } from "../accounts/oauth/scopes.ts";
import { type TokenHolder, verifyAccessToken } from "../accounts/tokens.ts";
import type { AppEnv, SessionUser } from "../http/env.ts";
import { invalidToken, outsideScopes, userRequired } from "./errors.ts";

/*
 * Who calls the Mastodon API: any token of the one token table (ADR 0008) — an OAuth token, an
 * app-only token, or a personal access token (Mastodon's "Development" tokens). Routes declare
 * what they need with `requireScope(…)` or `requireToken()`; a handler then reads the caller
 * with `caller(c)` / `callerUser(c)`. The token is looked up once per request, on first need.
 */

const resolved = new WeakMap<Request, Promise<TokenHolder | null>>();

/** The token: `Authorization: Bearer …`, or the `access_token` query parameter (Doorkeeper's). */
export function bearerOf(c: Context): string | undefined {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  return header ?? (c.req.query("access_token") || undefined);
}

/** The token's holder, or null (no token, or not a valid one). */
export function lookupCaller(c: Context<AppEnv>): Promise<TokenHolder | null> {
  let p = resolved.get(c.req.raw);
  if (!p) {
    const token = bearerOf(c);
    const { database, clock } = c.var.deps;
    p = token ? verifyAccessToken(database.db, clock, token) : Promise.resolve(null);
    resolved.set(c.req.raw, p);
  }
  return p;
}

/** Any valid token, app-only ones included (`GET /api/v1/apps/verify_credentials`). */
export function requireToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!(await lookupCaller(c))) throw invalidToken();
    await next();
  };
}

/**
 * A token of a user holding `scope` (or a scope that covers it): 401 without a valid token,
 * 403 without the scope, 422 for an app-only token — Mastodon's answers. Alternatives (`profile`
 * for verify_credentials) may be given after the first.
 */
export function requireScope(scope: Scope, ...alternatives: Scope[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await checkScope(c, scope, ...alternatives);
    await next();
  };
}

/** requireScope's checks, for a handler that checks its token itself (the star, ADR 0028). */
export async function checkScope(
  c: Context<AppEnv>,
  scope: Scope,
  ...alternatives: Scope[]
): Promise<void> {
  const holder = await lookupCaller(c);
  if (!holder) throw invalidToken();
  if (![scope, ...alternatives].some((s) => scopeAllows(holder.scopes, s)))
    throw outsideScopes(scope);
  if (!holder.user) throw userRequired();
}

/** The caller of a route behind requireToken/requireScope. */
export async function caller(c: Context<AppEnv>): Promise<TokenHolder> {
  const holder = await lookupCaller(c);
  if (!holder) throw invalidToken();
  return holder;
}

/** The user behind a route's token (behind requireScope). */
export async function callerUser(c: Context<AppEnv>): Promise<SessionUser> {
  const holder = await caller(c);
  if (!holder.user) throw userRequired();
  return { ...holder.user, scopes: holder.scopes, tokenId: holder.tokenId, appId: holder.appId };
}

/**
 * The reader of a public route (a status, a profile, the public timeline): nobody without a
 * token, else the token's user (null for an app-only token), which must hold `scope`. A token
 * given but not valid is refused, as Mastodon refuses it.
 */
export async function optionalViewer(c: Context<AppEnv>, scope: Scope): Promise<number | null> {
  if (!bearerOf(c)) return null;
  const holder = await lookupCaller(c);
  if (!holder) throw invalidToken();
  if (!scopeAllows(holder.scopes, scope)) throw outsideScopes(scope);
  return holder.user?.id ?? null;
}
