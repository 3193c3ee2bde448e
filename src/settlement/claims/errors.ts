import { DomainError } from "../../errors.ts";

export const CLAIM_ERROR_CODES = [
  /** No such claim of yours. */
  "claim_not_found",
  /** The account to claim is on this instance, or is not a person's account. */
  "claim_not_remote",
  /** The proof was read, but the code is not in it. */
  "claim_code_missing",
  /** The proof is a post of another account, or not the claimed account. */
  "claim_proof_not_theirs",
  /** The proof could not be read (its server did not answer, a 404, not public…). */
  "claim_proof_unreadable",
  /** You have already claimed this account. */
  "claim_already_yours",
] as const;
export type ClaimErrorCode = (typeof CLAIM_ERROR_CODES)[number];

/** Why a claim could not be started or verified; nothing was changed. */
export class ClaimError extends DomainError<ClaimErrorCode> {
  constructor(code: ClaimErrorCode, message: string) {
    super(code, message);
    this.name = "ClaimError";
  }
}
