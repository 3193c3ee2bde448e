import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

const logger = getLogger(["fediflattr", "http"]);

/** An error a client caused: always a 4xx with a message a person can read. */
export class ClientError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
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

export function errorResponse(c: Context, status: ContentfulStatusCode, message: string): Response {
  if (wantsJson(c.req.path)) return c.json({ error: message }, status);
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status}</title>` +
      `<meta name="viewport" content="width=device-width"></head><body><h1>${status}</h1>` +
      `<p class="error">${escapeHtml(message)}</p><p><a href="/">Home</a></p></body></html>`,
    status,
  );
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ClientError) return errorResponse(c, err.status, err.message);
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

export function onNotFound(c: Context): Response {
  return errorResponse(c, 404, `Not found: ${c.req.path}`);
}
