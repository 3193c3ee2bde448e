/** Why a flattr-domain operation was refused. Stable strings: clients and tests match on them. */
export type FlattrErrorCode =
  | "user_not_found"
  | "budget_too_low"
  | "budget_too_high"
  | "invalid_url"
  | "invalid_title"
  | "invalid_description"
  | "thing_not_found"
  | "own_thing"
  | "no_budget"
  | "already_flattred"
  | "not_flattred"
  | "period_closed"
  | "rate_limited"
  | "period_limit";

/**
 * A refusal the person asking caused: `code` for machines, `message` for people. Nothing was
 * changed when one is thrown.
 */
export class FlattrError extends Error {
  constructor(
    readonly code: FlattrErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "FlattrError";
  }

  /** The HTTP status the web layer should answer with. */
  get status(): 404 | 422 | 429 {
    if (this.code === "thing_not_found" || this.code === "user_not_found") return 404;
    if (this.code === "rate_limited") return 429;
    return 422;
  }
}

/**
 * A flattr asked for with a personal access token (src/flattr/flattr.ts) that is unknown or
 * revoked (`invalid_token`), or lacks the write scope (`insufficient_scope`). The API answers
 * these exactly as it answers the same token on any other route (src/api/auth.ts).
 */
export class PayerTokenError extends Error {
  constructor(readonly reason: "invalid_token" | "insufficient_scope") {
    super(reason === "invalid_token" ? "invalid access token" : "access token lacks write scope");
    this.name = "PayerTokenError";
  }
}
