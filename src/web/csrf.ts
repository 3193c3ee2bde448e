import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../http/env.ts";
import { ClientError } from "../http/errors.ts";
import { readForm } from "./forms.ts";

/** The hidden form field (or the X-CSRF-Token header, for scripts) carrying the token. */
export const CSRF_FIELD = "_csrf";

/**
 * For a logged-in browser the token is derived from the session token, which only that
 * browser has (HttpOnly cookie): a new session gets a new token and nothing extra is stored.
 */
export function csrfTokenForSession(sessionToken: string): string {
  return createHash("sha256").update(`fediflattr csrf v1\0${sessionToken}`).digest("base64url");
}

/** For a visitor without a session (login and sign-up forms): a random value kept in a cookie. */
export function newVisitorToken(): string {
  return randomBytes(32).toString("base64url");
}

export const isToken = (s: string | undefined): s is string =>
  typeof s === "string" && /^[A-Za-z0-9_-]{43}$/.test(s);

function tokensEqual(sent: string, expected: string): boolean {
  if (!isToken(sent) || !isToken(expected)) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses a state-changing request with 403 unless it comes from our own pages: the Origin
 * header (or, without one, Sec-Fetch-Site) must be ours, and the form must carry the token of
 * this session or visitor. Apply it to every route that accepts a form; API routes
 * authenticated by bearer tokens do not need it (no ambient credentials).
 */
function csrfProtection(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    checkOrigin(c);
    const sent = c.req.header("x-csrf-token") ?? (await readForm(c)).get(CSRF_FIELD);
    if (!tokensEqual(sent, c.var.csrfToken)) {
      throw new ClientError(
        403,
        "This form has expired or was not sent from this site (the security token did not " +
          "match). Go back, reload the page and try again.",
      );
    }
    await next();
  };
}

function checkOrigin(c: Context<AppEnv>): void {
  const expected = c.var.deps.config.origin.origin;
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  // "null" is what a browser sends under Referrer-Policy: no-referrer (and from sandboxed or
  // opaque contexts): then only Sec-Fetch-Site can tell us where the form came from.
  if (origin === "null" && site === "same-origin") return;
  if (origin !== undefined) {
    if (origin !== expected) {
      throw new ClientError(
        403,
        `This form was sent from ${origin}, not from this site (${expected}). If you are the ` +
          "operator and that is your address, set ORIGIN to it.",
      );
    }
    return;
  }
  // Browsers that send no Origin still send Sec-Fetch-Site; clients with neither rely on the token.
  if (site !== undefined && site !== "same-origin") {
    throw new ClientError(403, "This form was not sent from this site.");
  }
}

/** For routes that accept a form: bodies up to 64 KiB (413 beyond), then the CSRF check. */
export function formGuard(): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: 64 * 1024,
    onError: () => {
      throw new ClientError(413, "The form is too large.");
    },
  });
  const csrf = csrfProtection();
  return (c, next) =>
    limit(c, async () => {
      await csrf(c, next);
    });
}
