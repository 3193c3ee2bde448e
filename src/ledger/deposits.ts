import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { DEPOSIT_REFERENCE_SEPARATORS, depositReferenceKeySql } from "../db/schema/ledger.ts";
import { DomainError } from "../errors.ts";
import { isCurrency } from "../money/currency.ts";
import { DEPOSITS, walletAccount } from "./accounts.ts";
import { IdempotencyConflictError } from "./errors.ts";
import { type PostResult, postEntry } from "./post.ts";
import { parseTransferReference } from "./transfer-reference.ts";

/**
 * Why recording a deposit was refused. The first four come from here; the others from the use
 * case that records a received transfer (src/settlement/deposits.ts).
 */
export const DEPOSIT_ERROR_CODES = [
  "invalid_amount",
  "invalid_currency",
  "invalid_reference",
  "personal_reference",
  "payee_not_found",
  "reference_conflict",
  "confirmation_required",
] as const;
export type DepositErrorCode = (typeof DEPOSIT_ERROR_CODES)[number];

export class DepositError extends DomainError<DepositErrorCode> {
  constructor(code: DepositErrorCode, message: string) {
    super(code, message);
    this.name = "DepositError";
  }
}

export const MAX_REFERENCE_LENGTH = 140;

/**
 * The source of deposits an admin records from the instance's bank statement (the bank-transfer
 * payment provider's id): their references are typed by people, so they are compared without
 * case, spaces and dashes. Other sources (providers) keep their references as they are.
 */
export const BANK_SOURCE = "bank";

// "-" escaped: unescaped between two characters of a class it would make a range.
const SEPARATOR_RE = new RegExp(`[${DEPOSIT_REFERENCE_SEPARATORS.replace("-", "\\-")}]`, "gu");

/**
 * The reference of one received payment as it is recorded and shown. Typed by an admin
 * (BANK_SOURCE), it is trimmed, its spaces collapsed and upper-cased; a provider's own ids are
 * case-sensitive and kept as they are. Throws DepositError for an unusable one.
 */
export function normalizeDepositReference(raw: string, source = BANK_SOURCE): string {
  let ref = raw.trim().replace(/\s+/g, " ");
  if (source === BANK_SOURCE) ref = ref.toUpperCase();
  if (ref === "") throw new DepositError("invalid_reference", "The bank reference is required.");
  if (ref.length > MAX_REFERENCE_LENGTH)
    throw new DepositError(
      "invalid_reference",
      `The bank reference is longer than ${MAX_REFERENCE_LENGTH} characters.`,
    );
  if (
    ref.length < 3 ||
    /[\p{Cc}\p{Cf}]/u.test(ref) ||
    (source === BANK_SOURCE && ref.replace(SEPARATOR_RE, "") === "")
  )
    throw new DepositError(
      "invalid_reference",
      `The bank reference must be 3–${MAX_REFERENCE_LENGTH} printable characters, not only spaces and dashes.`,
    );
  if (source === BANK_SOURCE && parseTransferReference(ref) !== null) {
    // A personal reference is the same on every transfer of that user: as the key it would
    // swallow the user's second deposit as a "replay".
    throw new DepositError(
      "personal_reference",
      `${ref} is a user's personal transfer reference, the same on all their transfers: ` +
        "give the reference of this one payment (the bank's transaction id).",
    );
  }
  return ref;
}

/**
 * The form references are compared in: for the bank, the recorded form without spaces and
 * dashes (`WEB - DUP - 1` and `web-dup-1` are both `WEBDUP1`); a provider's id as it is.
 */
function depositReferenceKey(reference: string, source = BANK_SOURCE): string {
  const ref = normalizeDepositReference(reference, source);
  return source === BANK_SOURCE ? ref.replace(SEPARATOR_RE, "") : ref;
}

export interface DepositInput {
  userId: number;
  /** Minor units, > 0. */
  amount: bigint;
  /** The payment's own reference (bank transaction id; providers prefix theirs, "stripe:pi_…"). */
  reference: string;
  currency: string;
  /** Who reported it: BANK_SOURCE (an admin, by hand) or another provider's id. */
  source?: string;
}

/** A recorded bank deposit whose reference compares equal to one being recorded. */
interface Match {
  entryId: number;
  idempotencyKey: string;
  account: string | null;
  amount: bigint | null;
  currency: string | null;
}

/**
 * Bank deposits whose recorded reference compares equal to `key`, old ones included: deposits
 * recorded before references were compared this way keep their keys (`deposit:<reference as
 * typed then>`; ledger keys never change), so they are found by normalising the reference in
 * their metadata, with the expression the index
 * `ledger_entries_deposit_reference` holds (src/db/schema/ledger.ts).
 */
async function bankDepositsMatching(db: Db, key: string): Promise<Match[]> {
  const rows = await queryRows<{
    id: string;
    idempotency_key: string;
    account: string | null;
    amount: string | null;
    currency: string | null;
  }>(
    db,
    sql`select e.id::text, e.idempotency_key, p.account, p.amount::text, p.currency
        from ledger_entries e
        left join ledger_postings p on p.entry_id = e.id and p.account like 'wallet:%'
        where e.kind = 'deposit'
          and ${depositReferenceKeySql(sql`e.metadata`)} = ${key}::text
          and coalesce(e.metadata->>'source', ${BANK_SOURCE}::text) = ${BANK_SOURCE}::text
        order by e.id`,
  );
  return rows.map((r) => ({
    entryId: Number(r.id),
    idempotencyKey: r.idempotency_key,
    account: r.account,
    amount: r.amount === null ? null : BigInt(r.amount),
    currency: r.currency,
  }));
}

/** Same payment again (replay) when it credited the same wallet the same amount. */
function classify(matches: Match[], input: DepositInput): PostResult | null {
  if (matches.length === 0) return null;
  const wallet = walletAccount(input.userId);
  const same = matches.find(
    (m) => m.account === wallet && m.amount === input.amount && m.currency === input.currency,
  );
  if (same) return { entryId: same.entryId, replayed: true };
  const first = matches[0]!;
  throw new IdempotencyConflictError(first.idempotencyKey, first.entryId);
}

/**
 * The entry that already recorded this bank payment (a replay: the same reference compared as
 * recordDeposit compares it, the same wallet and amount), or null if none did. Throws
 * IdempotencyConflictError when the reference was recorded for something else, DepositError for
 * an unusable reference. Writes nothing: for callers that decide before posting (a sanity cap).
 */
export async function recordedBankDeposit(
  db: Db,
  input: Omit<DepositInput, "source">,
): Promise<PostResult | null> {
  return classify(await bankDepositsMatching(db, depositReferenceKey(input.reference)), input);
}

/**
 * Credits a received payment to the user's wallet: deposits → wallet:<user>. Recording the same
 * payment again is a replay (replayed=true, the original entry); the same reference with another
 * user or amount is an IdempotencyConflictError naming the entry it was recorded as. For the
 * bank, "the same reference" means equal after normalisation (case, spaces, dashes), also
 * against deposits recorded before that rule: one transfer can never be credited twice under two
 * spellings. New bank deposits are keyed `deposit:<normalised reference>`, so two spellings
 * racing each other meet at the unique key; older ones are found by the lookup.
 */
export async function recordDeposit(db: Db, input: DepositInput): Promise<PostResult> {
  if (typeof input.amount !== "bigint" || input.amount <= 0n)
    throw new DepositError("invalid_amount", "A deposit must be a positive amount.");
  if (!isCurrency(input.currency))
    throw new DepositError("invalid_currency", `Not a currency: ${input.currency}.`);
  const source = input.source ?? BANK_SOURCE;
  const reference = normalizeDepositReference(input.reference, source);
  const key = depositReferenceKey(reference, source);
  const post = () =>
    postEntry(db, {
      idempotencyKey: `deposit:${key}`,
      kind: "deposit",
      metadata: { reference, source },
      postings: [
        { account: DEPOSITS, currency: input.currency, amount: -input.amount },
        { account: walletAccount(input.userId), currency: input.currency, amount: input.amount },
      ],
    });
  if (source !== BANK_SOURCE) return post();
  const earlier = classify(await bankDepositsMatching(db, key), input);
  if (earlier) return earlier;
  try {
    return await post();
  } catch (e) {
    // Another spelling of the same reference was recorded meanwhile (same key, other metadata):
    // a replay if it is the same payment, else the conflict it is.
    if (!(e instanceof IdempotencyConflictError)) throw e;
    return classify(await bankDepositsMatching(db, key), input) ?? Promise.reject(e);
  }
}
