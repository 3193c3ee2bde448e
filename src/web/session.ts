import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, generateCookie, getCookie, setCookie } from "hono/cookie";
import {
  createSession,
  deleteSession,
  findSessionUser,
  SESSION_TTL_SECONDS,
} from "../accounts/sessions.ts";
import type { Config } from "../config/config.ts";
import type { Deps } from "../deps.ts";
import { csrfTokenForSession, isToken, newVisitorToken } from "./csrf.ts";
import type { AppEnv, SessionUser } from "./env.ts";
import { ClientError } from "./errors.ts";

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
 * Resolves a bearer token to a user. The Mastodon API's OAuth tokens plug in here (pass one to
 * `sessionMiddleware`); without it a bearer token authenticates nobody.
 */
export type BearerResolver = (deps: Deps, token: string) => Promise<SessionUser | null>;

/**
 * Sets `c.var.user` (from the session cookie), `c.var.bearerUser` (API calls with
 * `Authorization: Bearer`, through `options.bearer`) and `c.var.csrfToken` for forms (empty on
 * /api/, which has none). Register once, before all routes.
 */
export function sessionMiddleware(
  options: { bearer?: BearerResolver } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.var.deps;
    const names = cookieNames(deps.config);
    let user: SessionUser | null = null;
    let csrfToken: string;
    let freshVisitorToken: string | null = null;

    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const api = c.req.path.startsWith("/api/");
    // A cookie never authenticates an API call (src/api/auth.ts: bearer tokens only, any origin),
    // so on /api/ the session is not even looked up: no database round trip for it.
    const sessionToken = bearer || api ? undefined : getCookie(c, names.session);
    if (bearer) {
      // Bearer requests carry no ambient credentials: CSRF does not apply, and no forms are served.
      // Tokens authenticate API calls (/api/…) only: a read-only token must never reach a page's
      // forms, nor an OAuth consent page. The API looks the token up when it needs the user.
      const resolve = options.bearer;
      if (resolve && api) {
        let found: Promise<SessionUser | null> | undefined;
        c.set("bearerToken", bearer);
        c.set("bearerUser", () => {
          found ??= resolve(deps, bearer);
          return found;
        });
      }
    } else if (sessionToken) {
      user = await findSessionUser(deps.database.db, deps.clock, sessionToken);
    }
    if (api) {
      // The API serves no forms (and answers JSON, so no visitor cookie would be set anyway).
      csrfToken = "";
    } else if (user && sessionToken) {
      csrfToken = csrfTokenForSession(sessionToken);
    } else {
      const visitor = getCookie(c, names.csrf);
      if (isToken(visitor)) csrfToken = visitor;
      else csrfToken = freshVisitorToken = newVisitorToken();
    }
    c.set("user", user);
    c.set("csrfToken", csrfToken);
    await next();
    // Only pages need the visitor cookie; API, federation and redirects go without.
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
  const { token } = await createSession(database.db, clock, userId);
  setCookie(c, cookieNames(config).session, token, cookieOptions(config, SESSION_TTL_SECONDS));
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
