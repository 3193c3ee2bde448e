import { DomainError } from "../errors.ts";

/** Why a flattr-domain operation was refused. Stable strings: clients and tests match on them. */
export const FLATTR_ERROR_CODES = [
  "user_not_found",
  "budget_too_low",
  "budget_too_high",
  "invalid_url",
  "invalid_title",
  "invalid_description",
  /** An auto-submit link (`/submit?user=&url=&title=`) that is incomplete or malformed. */
  "invalid_link",
  "thing_not_found",
  "own_thing",
  "no_budget",
  "already_flattred",
  "not_flattred",
  "period_closed",
  "rate_limited",
  "period_limit",
] as const;
export type FlattrErrorCode = (typeof FLATTR_ERROR_CODES)[number];

/**
 * A refusal the person asking caused: `code` for machines, `message` for people. Nothing was
 * changed when one is thrown. Surfaces map the code (src/http/error-status.ts for HTTP).
 */
export class FlattrError extends DomainError<FlattrErrorCode> {
  constructor(code: FlattrErrorCode, message: string) {
    super(code, message);
    this.name = "FlattrError";
  }
}

/**
 * A flattr asked for with a personal access token (src/flattr/flattr.ts) that is unknown or
 * revoked (`invalid_token`), or lacks the write scope (`insufficient_scope`). The API answers
 * these exactly as it answers the same token on any other route (src/http/bearer.ts).
 */
export class PayerTokenError extends Error {
  constructor(readonly reason: "invalid_token" | "insufficient_scope" | "user_required") {
    super(
      reason === "invalid_token"
        ? "invalid access token"
        : reason === "user_required"
          ? "access token acts for no user"
          : "access token lacks a scope that may flattr",
    );
    this.name = "PayerTokenError";
  }
}
