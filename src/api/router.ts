import type { IncomingMessage } from "node:http";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { type BearerResolver, bearerAuth } from "../http/bearer.ts";
import { mount } from "../http/endpoint.ts";
import type { AppEnv } from "../http/env.ts";
import { ApiError, onError } from "../http/errors.ts";
import { API_BASE } from "../http/urls.ts";
import { MAX_BODY_BYTES } from "./input.ts";
import { API_ENDPOINTS } from "./openapi.ts";

/** The routes with their handlers (everything but the catch-all); the OpenAPI test reads these. */
export function apiEndpoints(): Hono<AppEnv> {
  return mount(new Hono<AppEnv>(), API_ENDPOINTS);
}

/**
 * The REST API `/api/flattr/v1` (mounted at API_BASE): bearer tokens only, resolved by `bearer`
 * when a route asks (src/http/bearer.ts), JSON errors with codes, bodies up to 16 KiB, and CORS
 * for any origin without credentials, so web apps elsewhere can call it with a token while a
 * cookie never authenticates anything here (the session middleware is the pages' own).
 */
export function apiRouter(options: { bearer: BearerResolver }): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.onError(onError);
  api.use(
    "*",
    cors({
      origin: "*",
      allowMethods: ["GET", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "Accept"],
      exposeHeaders: ["Location", "Retry-After", "WWW-Authenticate", "Content-Disposition"],
      maxAge: 86400,
      credentials: false,
    }),
  );
  api.use("*", bearerAuth(options.bearer));
  api.use("*", async (c, next) => {
    await next();
    // Personal data: not for shared caches.
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "private, no-store");
  });
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, `The body is larger than ${MAX_BODY_BYTES} bytes.`, "body_too_large");
    },
  });
  // hono's bodyLimit asks for `c.req.raw.body` first, which makes @hono/node-server build a whole
  // fetch Request (and a body stream) even for a request without a body, such as every flattr.
  // Those it lets through untouched can be told without it: GET and HEAD have no body, and an
  // HTTP/1 request (node's parser) has one only with Content-Length or Transfer-Encoding.
  api.use("*", (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (
      incoming?.httpVersionMajor === 1 &&
      incoming.headers["content-length"] === undefined &&
      incoming.headers["transfer-encoding"] === undefined
    )
      return next();
    return limit(c, next);
  });
  const endpoints = apiEndpoints();
  api.route("/", endpoints);

  const known = endpoints.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({
      method: r.method,
      pattern: new RegExp(
        `^${r.path
          .split("/")
          .map((seg) =>
            seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
          )
          .join("/")}$`,
      ),
    }));
  // Unknown paths and methods under the API answer JSON too: 405 with Allow, or 404.
  api.all("*", (c) => {
    const path = c.req.path.slice(API_BASE.length) || "/";
    const allowed = known.filter((k) => k.pattern.test(path)).map((k) => k.method);
    if (allowed.length > 0)
      throw new ApiError(
        405,
        `${c.req.method} is not allowed here; use ${allowed.join(", ")}.`,
        "method_not_allowed",
        { Allow: allowed.join(", ") },
      );
    throw new ApiError(404, `Not found: ${c.req.path}`, "not_found");
  });
  return api;
}
