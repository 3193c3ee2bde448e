import type { AccountErrorCode } from "../accounts/errors.ts";
import type { OAuthErrorCode } from "../accounts/oauth/errors.ts";
import type { Config } from "../config/config.ts";
import type { FlattrErrorCode } from "../flattr/errors.ts";
import type { LinkErrorCode } from "../flattr/linked-actors.ts";
import type { ResolveErrorCode } from "../flattr/resolve-errors.ts";
import type { SubscriptionErrorCode } from "../flattr/subscriptions.ts";
import type { DepositErrorCode } from "../ledger/index.ts";
import type { PeerErrorCode } from "../peers/errors.ts";
import type { ClaimErrorCode } from "../settlement/claims/errors.ts";
import type { CloseErrorCode } from "../settlement/close.ts";
import type { PayoutErrorCode } from "../settlement/payout-errors.ts";
import type { SettlementErrorCode } from "../settlement/summaries/sent.ts";
import type { FollowErrorCode, PostErrorCode } from "../social/errors.ts";

/** Every code a domain refusal (src/errors.ts) can carry. */
export type DomainErrorCode =
  | FlattrErrorCode
  | AccountErrorCode
  | DepositErrorCode
  | CloseErrorCode
  | SubscriptionErrorCode
  | PayoutErrorCode
  | ClaimErrorCode
  | FollowErrorCode
  | OAuthErrorCode
  | ResolveErrorCode
  | PeerErrorCode
  | LinkErrorCode
  | PostErrorCode
  | SettlementErrorCode;

export type ClientErrorStatus = 400 | 403 | 404 | 409 | 410 | 422 | 424 | 429;

/**
 * The one table from domain refusal codes to HTTP statuses (ADR 0006). Domain errors carry no
 * status: every HTTP surface (pages, REST API, and the Mastodon API to come) answers a code the
 * same way. Codes shared by two domains mean the same thing and have one status. The type
 * makes a new code without a status a compile error; test/unit/error-status.test.ts checks that
 * every code is a 4xx.
 */
const STATUS: { readonly [C in DomainErrorCode]: ClientErrorStatus } = {
  // flattr
  user_not_found: 404,
  thing_not_found: 404,
  budget_too_low: 422,
  budget_too_high: 422,
  invalid_url: 422,
  invalid_title: 422,
  invalid_description: 422,
  invalid_link: 400,
  own_thing: 422,
  no_budget: 422,
  already_flattred: 422,
  not_flattred: 422,
  period_closed: 422,
  rate_limited: 429,
  period_limit: 422,
  // accounts
  invalid: 422,
  taken: 409,
  registration_closed: 403,
  invite_required: 422,
  invite_invalid: 422,
  invite_used: 422,
  invite_quota: 403,
  not_found: 404,
  wrong_password: 422,
  reset_invalid: 410,
  has_money: 409,
  // deposits
  invalid_amount: 422,
  invalid_currency: 422,
  invalid_reference: 422,
  personal_reference: 422,
  payee_not_found: 422,
  reference_conflict: 409,
  confirmation_required: 422,
  // subscriptions
  invalid_months: 422,
  already_subscribed: 409,
  not_subscribed: 404,
  // payouts and withdrawals
  invalid_holder: 422,
  invalid_iban: 422,
  invalid_bic: 422,
  no_payout_details: 422,
  below_minimum: 422,
  not_payable: 422,
  payout_open: 409,
  payout_not_found: 404,
  payout_state: 409,
  nothing_to_approve: 422,
  sepa_unavailable: 422,
  // the month close
  invalid_period: 400,
  period_not_ended: 409,
  // follows
  actor_not_found: 404,
  no_inbox: 422,
  self_follow: 422,
  // posts
  invalid_content: 422,
  invalid_reply: 422,
  post_not_found: 404,
  not_author: 403,
  in_progress: 409,
  // OAuth (RFC 6749 §5.2 answers 400; the token endpoint makes invalid_client a 401 itself)
  invalid_request: 400,
  invalid_client: 400,
  invalid_grant: 400,
  invalid_scope: 400,
  unsupported_grant_type: 400,
  unsupported_response_type: 400,
  invalid_redirect_uri: 400,
  // resolving handles and addresses (ADR 0011: another server's failure is never our 5xx)
  invalid_uri: 422,
  remote_gone: 410,
  not_flattrable: 422,
  domain_blocked: 403,
  remote_unreachable: 424,
  // claims
  claim_not_found: 404,
  claim_not_remote: 422,
  claim_code_missing: 422,
  claim_proof_not_theirs: 422,
  claim_proof_unreadable: 424,
  claim_already_yours: 409,
  // peers admin (domain_blocked above)
  invalid_host: 422,
  own_server: 422,
  invalid_credit_limit: 422,
  // settlement summaries
  unknown_summary: 404,
  not_withdrawable: 409,
  not_refundable: 409,
  invalid_transfer: 422,
  peer_not_admitted: 403,
  transfer_notice_conflict: 409,
  unknown_peer: 404,
  // linked remote accounts
  actor_linked_elsewhere: 409,
};

/** The HTTP status of a domain refusal's code (422 for a code this table does not know). */
export function errorStatus(code: string): ClientErrorStatus {
  return Object.hasOwn(STATUS, code) ? STATUS[code as DomainErrorCode] : 422;
}

/** Seconds for `Retry-After` when a refusal passes with time, else null. */
export function retryAfterSeconds(code: string, config: Config): number | null {
  return code === "rate_limited" ? config.flattrRateLimit.windowSeconds : null;
}
