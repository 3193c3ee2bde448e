import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env.ts";

/*
 * A whole answer: its handler put in it, as one plain object, every header the steps around the
 * route would add on the way out (CORS, Cache-Control, the security headers), so those steps
 * leave it alone and @hono/node-server writes it without ever building a `Headers`: the 14
 * headers of a flattr's answer cost ~8 µs through `Headers` and ~0.3 µs as an object (ADR 0036).
 * Only for a route whose cost per request was measured to matter (the API flattr, the Mastodon
 * star: ADR 0040); the router or app says which headers its steps add (`wholeJsonHeaders`,
 * made by src/http/json-way-out.ts), and a step that adds a header after the handler must
 * skip whole answers (`isWholeAnswer`).
 */

const whole = new WeakSet<Response>();

/** Whether `res` is a whole answer: a step after the handler must leave its headers alone. */
export function isWholeAnswer(res: Response): boolean {
  return whole.has(res);
}

/**
 * `value` as a JSON answer with `status`, whole when the router gave the headers of its way out
 * (else as `c.json` makes it, e.g. for endpoints mounted without their router).
 */
export function wholeJson(
  c: Context<AppEnv>,
  value: unknown,
  status: ContentfulStatusCode,
): Response {
  const headers = c.get("wholeJsonHeaders");
  if (!headers) return c.json(value, status);
  const res = new Response(JSON.stringify(value), { status, headers });
  whole.add(res);
  return res;
}
