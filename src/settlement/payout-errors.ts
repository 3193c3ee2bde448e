import { DomainError } from "../errors.ts";

/** Refusals of payout details, requests and the admin's batches (src/settlement/payouts.ts). */
export const PAYOUT_ERROR_CODES = [
  "invalid_holder",
  "invalid_iban",
  "invalid_bic",
  "no_payout_details",
  "invalid_amount",
  "below_minimum",
  "not_payable",
  "payout_open",
  "payout_not_found",
  "payout_state",
  "nothing_to_approve",
  "sepa_unavailable",
] as const;
export type PayoutErrorCode = (typeof PAYOUT_ERROR_CODES)[number];

export class PayoutError extends DomainError<PayoutErrorCode> {
  constructor(code: PayoutErrorCode, message: string) {
    super(code, message);
    this.name = "PayoutError";
  }
}
