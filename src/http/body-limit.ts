import type { IncomingMessage } from "node:http";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/*
 * hono's bodyLimit, asked only of requests that can have a body. It reads `c.req.raw.body` first,
 * which makes @hono/node-server build a whole fetch Request (and a body stream) even for a request
 * without a body, such as every flattr and every star. Those it would let through untouched can be
 * told without it: GET and HEAD have no body, and an HTTP/1 request (node's parser) has one only
 * with Content-Length or Transfer-Encoding.
 */
export function limitBodies(maxSize: number, onError: () => never): MiddlewareHandler {
  const limit = bodyLimit({ maxSize, onError });
  return (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (
      incoming?.httpVersionMajor === 1 &&
      incoming.headers["content-length"] === undefined &&
      incoming.headers["transfer-encoding"] === undefined
    )
      return next();
    return limit(c, next);
  };
}
