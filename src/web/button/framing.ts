import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../http/env.ts";

/**
 * The counter widget's policy: the one document any site may frame. It shows a count and a link
 * (no script, no form: `form-action 'none'`), so being framed by a stranger cannot be turned into
 * a click that moves money. Register it in src/app.ts before the session and secure-headers
 * middleware: it runs last on the way out and replaces what they set (X-Frame-Options DENY,
 * frame-ancestors 'none', the visitor cookie a shared cache must not store).
 */
const WIDGET_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; " +
  "base-uri 'none'; frame-ancestors *";

const WIDGET_PATH = /^\/button\/(?:[0-9]+|submit|users\/[A-Za-z0-9_]+)$/;

export function widgetFraming(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!WIDGET_PATH.test(c.req.path)) return;
    const h = c.res.headers;
    try {
      h.delete("x-frame-options");
      h.set("content-security-policy", WIDGET_CSP);
      h.delete("set-cookie");
      h.set("cross-origin-resource-policy", "cross-origin");
    } catch {
      // Immutable headers: not one of our responses; leave it as it is.
    }
  };
}
