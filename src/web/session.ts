import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, generateCookie, getCookie, setCookie } from "hono/cookie";
import {
  createSession,
  deleteSession,
  findSessionUser,
  SESSION_TTL_SECONDS,
} from "../accounts/sessions.ts";
import type { Config } from "../config/config.ts";
import type { AppEnv, SessionUser } from "../http/env.ts";
import { ClientError } from "../http/errors.ts";
import { csrfTokenForSession, isToken, newVisitorToken } from "./csrf.ts";

/**
 * Cookie names. On https the `__Host-` prefix makes the browser refuse the cookie unless it is
 * Secure, host-only and Path=/, so a neighbouring subdomain cannot plant one.
 */
export function cookieNames(config: Config): { session: string; csrf: string } {
  const secure = config.origin.protocol === "https:";
  const prefix = secure ? "__Host-" : "";
  return { session: `${prefix}ff_session`, csrf: `${prefix}ff_csrf` };
}

function cookieOptions(config: Config, maxAge: number) {
  return {
    path: "/",
    httpOnly: true,
    sameSite: "Lax" as const,
    secure: config.origin.protocol === "https:",
    maxAge,
  };
}

/**
 * Sets `c.var.user` (from the session cookie) and `c.var.csrfToken` for forms. The pages
 * register it for themselves (src/web/routes.tsx); surfaces that take bearer tokens register
 * `bearerAuth()` (src/http/bearer.ts) instead, so a cookie never authenticates them.
 */
export function sessionMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.var.deps;
    const names = cookieNames(deps.config);
    let user: SessionUser | null = null;
    let csrfToken: string;
    let freshVisitorToken: string | null = null;

    // A request with a bearer token carries no ambient credentials and gets no session: a token
    // (even a read-only one) must never reach a page's forms, nor an OAuth consent page.
    const bearer = /^Bearer\s/i.test(c.req.header("authorization") ?? "");
    const sessionToken = bearer ? undefined : getCookie(c, names.session);
    if (sessionToken) user = await findSessionUser(deps.database.db, deps.clock, sessionToken);
    if (user && sessionToken) {
      csrfToken = csrfTokenForSession(sessionToken);
    } else {
      const visitor = getCookie(c, names.csrf);
      if (isToken(visitor)) csrfToken = visitor;
      else csrfToken = freshVisitorToken = newVisitorToken();
    }
    c.set("user", user);
    c.set("csrfToken", csrfToken);
    await next();
    // Only pages need the visitor cookie; federation and redirects go without.
    if (freshVisitorToken && c.res.headers.get("content-type")?.startsWith("text/html")) {
      const cookie = generateCookie(
        names.csrf,
        freshVisitorToken,
        cookieOptions(deps.config, 365 * 86400),
      );
      try {
        c.res.headers.append("set-cookie", cookie);
      } catch {
        // Immutable headers (a response passed through from fetch): nothing to add a form to.
      }
    }
  };
}

/** Logs the browser in as `userId`: a new session and its cookie. */
export async function startSession(c: Context<AppEnv>, userId: number): Promise<void> {
  const { config, database, clock } = c.var.deps;
  const browser = c.req.header("user-agent") ?? "";
  const { token } = await createSession(database.db, clock, userId, SESSION_TTL_SECONDS, browser);
  setCookie(c, cookieNames(config).session, token, cookieOptions(config, SESSION_TTL_SECONDS));
}

/** The session token of this request's cookie, if any (to tell "this browser" in the list). */
export function sessionToken(c: Context<AppEnv>): string | undefined {
  return getCookie(c, cookieNames(c.var.deps.config).session);
}

/** Deletes the session row and (unless a new one replaces it) the cookie. */
export async function endSession(
  c: Context<AppEnv>,
  options: { keepCookie?: boolean } = {},
): Promise<void> {
  const { config, database } = c.var.deps;
  const name = cookieNames(config).session;
  const token = getCookie(c, name);
  if (token) await deleteSession(database.db, token);
  if (!options.keepCookie) deleteCookie(c, name, cookieOptions(config, 0));
}

/** The logged-in user, or a 401 ClientError. */
export function requireUser(c: Context<AppEnv>): SessionUser {
  const user = c.var.user;
  if (!user) throw new ClientError(401, "You need to log in first.");
  return user;
}

/**
 * Guards routes that need a logged-in user: a browser GET is sent to the login page (and back
 * afterwards); anything else gets 401.
 */
export function requireLogin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.var.user) return next();
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    throw new ClientError(401, "You need to log in first.");
  };
}

/** Guards admin-only routes: 401 without login, 403 for non-admins. */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = requireUser(c);
    if (!user.isAdmin) throw new ClientError(403, "Only administrators may do this.");
    await next();
  };
}
