import type { MiddlewareHandler } from "hono";
import { isWholeAnswer } from "./whole-answer.ts";

/*
 * `Cache-Control: private, no-store` on every answer of the APIs (REST and Mastodon) that does
 * not say otherwise: personal data, not for shared caches. The header goes onto the response the
 * handler made, in place. `c.header()` after the handler would copy that response first, and
 * with @hono/node-server the copy turns its cheap cached body into a stream that is then read
 * back chunk by chunk: copy and stream were about a sixth of the REST flattr's server CPU
 * (ADR 0036).
 */
export const PRIVATE_NO_STORE = "private, no-store";

/** The default above; a whole answer (src/http/whole-answer.ts) carries its own. */
export function privateNoStoreByDefault(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (isWholeAnswer(c.res)) return;
    if (!c.res.headers.has("Cache-Control"))
      setResponseHeader(c.res, "Cache-Control", PRIVATE_NO_STORE, (n, v) => c.header(n, v));
  };
}

/**
 * Sets a header of `res` in place; a response whose headers cannot change (`Response.redirect()`,
 * a fetched one) is copied by `copyAndSet` instead (Hono's `c.header()` does that).
 */
export function setResponseHeader(
  res: Response,
  name: string,
  value: string,
  copyAndSet: (name: string, value: string) => void,
): void {
  try {
    res.headers.set(name, value);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    copyAndSet(name, value);
  }
}
