import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { FlattrError } from "../flattr/errors.ts";
import { ClientError } from "../web/errors.ts";

const logger = getLogger(["fediflattr", "api"]);

/** Machine codes of the API's own refusals (FlattrError's codes come on top). */
export type ApiErrorCode =
  | "unauthorized"
  | "invalid_token"
  | "insufficient_scope"
  | "not_found"
  | "method_not_allowed"
  | "malformed_json"
  | "unsupported_media_type"
  | "body_too_large"
  | "invalid_request"
  | "invalid_amount"
  | "invalid_period"
  | "not_acceptable";

/** A refusal with a machine code; still a ClientError, so any handler answers it as a 4xx. */
export class ApiError extends ClientError {
  constructor(
    status: ContentfulStatusCode,
    message: string,
    readonly code: ApiErrorCode,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, message);
    this.name = "ApiError";
  }
}

/** Every error of the API as `{"error": message, "code": code}`; never a 500 for input. */
export function apiOnError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json({ error: err.message, code: err.code }, err.status);
  }
  if (err instanceof FlattrError) {
    if (err.code === "rate_limited")
      c.header("Retry-After", String(c.var.deps.config.flattrRateLimit.windowSeconds));
    return c.json({ error: err.message, code: err.code }, err.status);
  }
  if (err instanceof ClientError) return c.json({ error: err.message }, err.status);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return c.json({ error: err.message || "Request refused" }, status);
  }
  logger.error("Unhandled API error on {method} {path}: {error}", {
    method: c.req.method,
    path: c.req.path,
    error: err,
  });
  return c.json({ error: "Internal server error" }, 500);
}
