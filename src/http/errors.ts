import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError } from "../errors.ts";
import type { AppEnv } from "./env.ts";
import { errorStatus, retryAfterSeconds } from "./error-status.ts";

const logger = getLogger(["fediflattr", "http"]);

/**
 * A refusal of the HTTP layer itself (a form without its CSRF token, a body of the wrong type,
 * a missing login): always a 4xx with a message a person can read. Refusals of the domain are
 * DomainErrors with a code instead; the handler below maps those.
 */
export class ClientError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}

/** Machine codes of the REST API's own refusals (domain codes come on top). */
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

/** A ClientError with a machine code and headers (WWW-Authenticate, Allow). */
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

/** Paths whose clients expect JSON, whatever went wrong. */
export function wantsJson(path: string): boolean {
  return (
    path.startsWith("/api/") ||
    path.startsWith("/oauth/") ||
    path.startsWith("/.well-known/") ||
    path.startsWith("/nodeinfo/")
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** An error answer: `{"error": message, "code": code}` for JSON clients, a small page for people. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
  code?: string,
): Response | Promise<Response> {
  if (wantsJson(c.req.path))
    return c.json(code ? { error: message, code } : { error: message }, status);
  const page = (c as Context<AppEnv>).var?.errorPage;
  if (page) return page(status, message);
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status}</title>` +
      `<meta name="viewport" content="width=device-width"></head><body><h1>${status}</h1>` +
      `<p class="error">${escapeHtml(message)}</p><p><a href="/">Home</a></p></body></html>`,
    status,
  );
}

/**
 * The error handler of every HTTP surface: a client's mistake or a domain refusal is a 4xx
 * (domain codes through the one table, src/http/error-status.ts, with Retry-After where due);
 * anything else is logged and a 500. Never a 500 for input.
 */
export function onError(err: Error, c: Context<AppEnv>): Response | Promise<Response> {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return errorResponse(c, err.status, err.message, err.code);
  }
  if (err instanceof ClientError) return errorResponse(c, err.status, err.message);
  if (err instanceof DomainError) {
    const retryAfter = retryAfterSeconds(err.code, c.var.deps.config);
    if (retryAfter !== null) c.header("Retry-After", String(retryAfter));
    return errorResponse(c, errorStatus(err.code), err.message, err.code);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return errorResponse(c, status, err.message || "Request refused");
  }
  // Malformed bodies surface as SyntaxError from c.req.json(): the client's fault.
  if (err instanceof SyntaxError)
    return errorResponse(c, 400, `Malformed request body: ${err.message}`);
  logger.error("Unhandled error on {method} {path}: {error}", {
    method: c.req.method,
    path: c.req.path,
    error: err,
  });
  return errorResponse(c, 500, "Internal server error");
}

export function onNotFound(c: Context): Response | Promise<Response> {
  return errorResponse(c, 404, `Not found: ${c.req.path}`);
}
