import { Hono } from "hono";
import { type BearerResolver, bearerAuth } from "../http/bearer.ts";
import { limitBodies } from "../http/body-limit.ts";
import { privateNoStoreByDefault } from "../http/cache-control.ts";
import { type OpenCorsOptions, openCors } from "../http/cors.ts";
import { mount } from "../http/endpoint.ts";
import type { AppEnv } from "../http/env.ts";
import { ApiError, onError } from "../http/errors.ts";
import { jsonWayOutHeaders } from "../http/json-way-out.ts";
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
export function apiRouter(options: {
  bearer: BearerResolver;
  /** The headers the app's own steps add to every answer of this router (security headers). */
  outerHeaders?: Readonly<Record<string, string>>;
}): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.onError(onError);
  const cors: OpenCorsOptions = {
    allowMethods: ["GET", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Accept"],
    exposeHeaders: ["Location", "Retry-After", "WWW-Authenticate", "Content-Disposition"],
    maxAgeSeconds: 86400,
  };
  const wholeJsonHeaders = jsonWayOutHeaders(cors, options.outerHeaders ?? {});
  api.use("*", openCors(cors));
  api.use("*", (c, next) => {
    c.set("wholeJsonHeaders", wholeJsonHeaders);
    return next();
  });
  api.use("*", bearerAuth(options.bearer));
  api.use("*", privateNoStoreByDefault());
  api.use(
    "*",
    limitBodies(MAX_BODY_BYTES, () => {
      throw new ApiError(413, `The body is larger than ${MAX_BODY_BYTES} bytes.`, "body_too_large");
    }),
  );
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
