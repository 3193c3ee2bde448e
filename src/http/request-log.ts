import { getLogger } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.ts";

const logger = getLogger(["fediflattr", "http"]);

/**
 * One line per request: method, path, status, duration. Nothing at all when `info` is not logged
 * (the level is asked per request: logging can be configured after the app is made).
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!logger.isEnabledFor("info")) return next();
    const start = performance.now();
    await next();
    const ms = Math.round(performance.now() - start);
    logger.info("{method} {path} {status} {ms}ms", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms,
    });
  };
}
