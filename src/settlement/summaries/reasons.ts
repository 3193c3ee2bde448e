/*
 * Why a receiver refuses a settlement summary (docs/PROTOCOL.md, "Reject"): machine-readable, each
 * final (the same summary will never be accepted; the sender may refund or send a corrected one
 * with the same sequence) or retryable (send it again later).
 */
export const FINAL_REASONS = [
  "total",
  "currency",
  "creator",
  "likes",
  "signature",
  "not_admitted",
  "too_large",
  "conflict",
] as const;
export const RETRYABLE_REASONS = ["sequence", "unavailable"] as const;
export type RejectReason = (typeof FINAL_REASONS)[number] | (typeof RETRYABLE_REASONS)[number];

export function isRejectReason(s: string): s is RejectReason {
  return (FINAL_REASONS as readonly string[]).includes(s) || isRetryable(s);
}

export function isRetryable(s: string): boolean {
  return (RETRYABLE_REASONS as readonly string[]).includes(s);
}

/** The most lines a summary may have here; more is refused `too_large`. */
export const MAX_SUMMARY_LINES = 1_000_000;
/** The most lines a page of the lines collection holds. */
export const LINES_PAGE_SIZE = 5000;
