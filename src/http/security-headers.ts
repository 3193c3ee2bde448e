import type { MiddlewareHandler } from "hono";
import { isWholeAnswer } from "./whole-answer.ts";

/*
 * The security headers of every answer (pages and APIs): what hono's `secureHeaders` sets with
 * X-Frame-Options DENY, `frame-ancestors 'none'` (pages refuse to be framed: clickjacking), no
 * Cross-Origin-Resource-Policy or -Opener-Policy, and Referrer-Policy same-origin (no-referrer
 * makes browsers send `Origin: null` on our own forms); test/unit/security-headers.test.ts holds
 * the two equal. Ours, so that a whole answer (src/http/whole-answer.ts) can carry them itself.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "frame-ancestors 'none'",
  "Origin-Agent-Cluster": "?1",
  "Referrer-Policy": "same-origin",
  "Strict-Transport-Security": "max-age=15552000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-DNS-Prefetch-Control": "off",
  "X-Download-Options": "noopen",
  "X-Frame-Options": "DENY",
  "X-Permitted-Cross-Domain-Policies": "none",
  "X-XSS-Protection": "0",
};

const ENTRIES = Object.entries(SECURITY_HEADERS);

/** Sets SECURITY_HEADERS on every answer but a whole one (which has them), over the handler's. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (isWholeAnswer(c.res)) return;
    const headers = c.res.headers;
    for (const [name, value] of ENTRIES) headers.set(name, value);
    headers.delete("X-Powered-By");
  };
}
