import type { MiddlewareHandler } from "hono";
import { isWholeAnswer } from "./whole-answer.ts";

/*
 * CORS for the APIs (REST and Mastodon): any origin, never credentials — web apps elsewhere call
 * with a token, a cookie authenticates nothing there. It answers what hono's `cors` answers for
 * that configuration (test/unit/cors.test.ts compares the two), but sets its headers with
 * `c.header()` before the handler runs. hono's sets them on `c.res` before the handler, which
 * makes a placeholder response that the handler's own response is then copied into: with
 * @hono/node-server that copy turns a cheap cached body into a stream read back chunk by chunk,
 * measured at a quarter of the flattr API's server CPU (bench/README.md).
 */

export interface OpenCorsOptions {
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
}

/** The CORS headers of every answer but a preflight's. */
export function corsAnswerHeaders(options: OpenCorsOptions): Record<string, string> {
  const expose = options.exposeHeaders.join(",");
  return {
    "Access-Control-Allow-Origin": "*",
    ...(expose ? { "Access-Control-Expose-Headers": expose } : {}),
  };
}

export function openCors(options: OpenCorsOptions): MiddlewareHandler {
  const methods = options.allowMethods.join(",");
  const allowHeaders = options.allowHeaders.join(",");
  const answerHeaders = Object.entries(corsAnswerHeaders(options));
  const maxAge = String(options.maxAgeSeconds);
  return async (c, next) => {
    for (const [name, value] of answerHeaders) c.header(name, value);
    if (c.req.method !== "OPTIONS") {
      await next();
      // A handler that built its own Response (not through `c`) did not get the headers above;
      // a whole answer has them (src/http/whole-answer.ts).
      if (!isWholeAnswer(c.res) && !c.res.headers.has("Access-Control-Allow-Origin"))
        for (const [name, value] of answerHeaders) c.res.headers.set(name, value);
      return;
    }
    // Every OPTIONS request is answered here (a preflight or not), as hono's cors does.
    const headers: Record<string, string> = {
      "Access-Control-Max-Age": maxAge,
      "Access-Control-Allow-Methods": methods,
    };
    const requested =
      allowHeaders || requestedHeaders(c.req.header("Access-Control-Request-Headers"));
    if (requested) {
      headers["Access-Control-Allow-Headers"] = requested;
      headers.Vary = "Access-Control-Request-Headers";
    }
    return c.body(null, 204, headers);
  };
}

function requestedHeaders(raw: string | undefined): string {
  return raw
    ? raw
        .split(",")
        .map((h) => h.trim())
        .join(",")
    : "";
}
