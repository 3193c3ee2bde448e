import type { Db } from "../db/client.ts";
import { isCurrency } from "../money/currency.ts";
import { DEPOSITS, walletAccount } from "./accounts.ts";
import { LedgerError } from "./errors.ts";
import { type PostResult, postEntry } from "./post.ts";
import { parseTransferReference } from "./transfer-reference.ts";

export class DepositError extends LedgerError {
  override name = "DepositError";
}

/**
 * The reference of one received payment. Typed by an admin ("bank"), it is normalised (case,
 * spaces) so that retyping it differently cannot book it twice; a provider's own ids are
 * case-sensitive and kept as they are. Throws DepositError for an unusable one.
 */
export function normalizeDepositReference(raw: string, source = "bank"): string {
  let ref = raw.trim().replace(/\s+/g, " ");
  if (source === "bank") ref = ref.toUpperCase();
  if (ref.length < 3 || ref.length > 140 || /[\p{Cc}\p{Cf}]/u.test(ref))
    throw new DepositError("the reference must be 3–140 printable characters");
  if (source === "bank" && parseTransferReference(ref) !== null) {
    // A personal reference is the same on every transfer of that user: as the key it would
    // swallow the user's second deposit as a "replay".
    throw new DepositError(
      `${ref} is a user's personal transfer reference, the same on all their transfers; ` +
        "give the reference of this one payment (the bank's transaction id)",
    );
  }
  return ref;
}

export const depositKey = (reference: string, source = "bank") =>
  `deposit:${normalizeDepositReference(reference, source)}`;

export interface DepositInput {
  userId: number;
  /** Minor units, > 0. */
  amount: bigint;
  /** The payment's own reference (bank transaction id; providers prefix theirs, "stripe:pi_…"). */
  reference: string;
  currency: string;
  /** Who reported it: "bank" (an admin, by hand) or a provider id. */
  source?: string;
}

/**
 * Credits a received payment to the user's wallet: deposits → wallet:<user>, keyed
 * `deposit:<reference>`. Recording the same payment again is a replay (replayed=true); the same
 * reference with another user or amount is an IdempotencyConflictError.
 */
export async function recordDeposit(db: Db, input: DepositInput): Promise<PostResult> {
  if (typeof input.amount !== "bigint" || input.amount <= 0n)
    throw new DepositError("a deposit must be a positive amount");
  if (!isCurrency(input.currency)) throw new DepositError(`not a currency: ${input.currency}`);
  const source = input.source ?? "bank";
  const reference = normalizeDepositReference(input.reference, source);
  return postEntry(db, {
    idempotencyKey: `deposit:${reference}`,
    kind: "deposit",
    metadata: { reference, source },
    postings: [
      { account: DEPOSITS, currency: input.currency, amount: -input.amount },
      { account: walletAccount(input.userId), currency: input.currency, amount: input.amount },
    ],
  });
}
