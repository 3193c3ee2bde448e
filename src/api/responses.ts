import type { Header, Response } from "../http/openapi-types.ts";

/*
 * The API's shared responses (errors) and headers, named in the document's components; an
 * endpoint lists them by name: `responses: { 404: "NotFound", ...BODY_ERRORS }`.
 */

const errorResponse = (description: string, headers?: Response["headers"]): Response => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

export const ERROR_RESPONSES = {
  BadRequest: errorResponse(
    "Malformed JSON (malformed_json) or a bad query parameter (invalid_period, invalid_request).",
  ),
  Unauthorized: errorResponse(
    "No token (unauthorized), or an unknown or revoked one (invalid_token).",
    { "WWW-Authenticate": { $ref: "#/components/headers/WwwAuthenticate" } },
  ),
  Forbidden: errorResponse(
    "The token lacks the scope (insufficient_scope), or the post is someone else's (not_author).",
    { "WWW-Authenticate": { $ref: "#/components/headers/WwwAuthenticate" } },
  ),
  NotFound: errorResponse("No such thing or post (not_found, thing_not_found, post_not_found)."),
  PayloadTooLarge: errorResponse("The body is larger than 16 KiB (body_too_large)."),
  UnsupportedMediaType: errorResponse("The body is not application/json (unsupported_media_type)."),
  Unprocessable: errorResponse(
    "Valid JSON the request cannot be done with: a missing or mistyped field (invalid_request, " +
      "invalid_amount) or a refusal with its code.",
  ),
  Conflict: errorResponse(
    "The request conflicts with what is there now: one already waiting or running " +
      "(payout_open, already_subscribed), or a payout past the step asked for (payout_state).",
  ),
  TooManyRequests: errorResponse("Too many flattrs in a short time (rate_limited).", {
    "Retry-After": { $ref: "#/components/headers/RetryAfter" },
  }),
} satisfies Record<string, Response>;

export type SharedResponse = keyof typeof ERROR_RESPONSES;

export const HEADERS: Record<string, Header> = {
  Location: {
    description: "URL of the thing or post in this API.",
    schema: { type: "string", format: "uri" },
  },
  WwwAuthenticate: {
    description:
      'Bearer realm="fediflattr"[, error="invalid_token" | error="insufficient_scope", scope="…"]',
    schema: { type: "string" },
  },
  RetryAfter: { description: "Seconds to wait at most.", schema: { type: "string" } },
};

/** What every endpoint that takes a JSON body can answer besides its own. */
export const BODY_ERRORS = {
  400: "BadRequest",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "Unprocessable",
} as const satisfies Record<number, SharedResponse>;
