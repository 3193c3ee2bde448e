import { eq } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.ts";
import { pgError } from "../db/pg-error.ts";
import { ledgerEntries, ledgerPostings } from "../db/schema/ledger.ts";
import { isCurrency } from "../money/currency.ts";
import { isPeriod } from "../periods/period.ts";
import { isAccountName } from "./accounts.ts";
import {
  AlreadyReversedError,
  IdempotencyConflictError,
  InsufficientFundsError,
  InvalidEntryError,
} from "./errors.ts";
import { canonicalJson, type Posting, payloadHash } from "./payload.ts";

export type { Posting } from "./payload.ts";

export interface EntryInput {
  /** Unique per business event, e.g. "deposit:<bank ref>", "close:2026-03:42". */
  idempotencyKey: string;
  /** Lowercase word: deposit, transfer, close, payout, ... */
  kind: string;
  /** "YYYY-MM" when the entry belongs to a settlement period. */
  period?: string | null;
  /** JSON object (no bigints: amounts as decimal strings). Part of the payload for idempotency. */
  metadata?: Record<string, unknown>;
  /** At least two; each non-zero; summing to zero per currency. */
  postings: Posting[];
}

export interface PostResult {
  entryId: number;
  /** True when the key was already posted with the same payload: nothing new was written. */
  replayed: boolean;
}

/** Refuses a malformed entry before touching the database. */
function validateEntry(input: EntryInput): void {
  const { idempotencyKey, kind, period, postings, metadata } = input;
  if (
    typeof idempotencyKey !== "string" ||
    idempotencyKey.length < 1 ||
    idempotencyKey.length > 500
  )
    throw new InvalidEntryError("idempotency key must be 1–500 characters");
  if (!/^[a-z][a-z0-9_]*$/.test(kind)) throw new InvalidEntryError(`bad entry kind: "${kind}"`);
  if (period != null && !isPeriod(period))
    throw new InvalidEntryError(`bad period: "${period}" (expected YYYY-MM)`);
  if (
    metadata !== undefined &&
    (metadata === null || typeof metadata !== "object" || Array.isArray(metadata))
  )
    throw new InvalidEntryError("metadata must be a JSON object");
  try {
    canonicalJson(metadata ?? {});
  } catch (e) {
    throw new InvalidEntryError(`metadata: ${(e as Error).message}`);
  }
  if (!Array.isArray(postings) || postings.length < 2)
    throw new InvalidEntryError("an entry needs at least two postings");
  const sums = new Map<string, bigint>();
  for (const p of postings) {
    if (!isAccountName(p.account)) throw new InvalidEntryError(`bad account name: "${p.account}"`);
    if (!isCurrency(p.currency)) throw new InvalidEntryError(`bad currency: "${p.currency}"`);
    if (typeof p.amount !== "bigint" || p.amount === 0n)
      throw new InvalidEntryError(`posting to ${p.account}: amount must be a non-zero bigint`);
    sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amount);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0n)
      throw new InvalidEntryError(`entry does not balance in ${currency}: postings sum to ${sum}`);
  }
}

/** Turns the database's refusals into ledger errors; rethrows anything else. */
function mapLedgerDbError(e: unknown, postings: Posting[]): never {
  const pg = pgError(e);
  if (pg?.code === "23514" && pg.constraint === "ledger_balances_non_negative") {
    // Detail: "Failing row contains (<account>, <currency>, <balance>)." when the server shows it.
    const m = pg.detail ? /\(([^,]+), ([A-Z]{3}), -?\d+\)/.exec(pg.detail) : null;
    const debited = postings.find((p) => p.amount < 0n && p.account === m?.[1]);
    throw new InsufficientFundsError(m?.[1] ?? debited?.account, m?.[2] ?? debited?.currency);
  }
  throw e;
}

/**
 * Posts one balanced entry atomically (its own transaction, or a savepoint inside the caller's).
 * Same key + same payload returns the original entry with replayed=true; same key + different
 * payload throws IdempotencyConflictError; an overdraft throws InsufficientFundsError and leaves
 * nothing behind.
 */
export async function postEntry(db: Db, input: EntryInput): Promise<PostResult> {
  return postEntryInternal(db, input, null);
}

/** @internal also used by reverseEntry, which links the reversal to its original. */
export async function postEntryInternal(
  db: Db,
  input: EntryInput,
  reversesEntryId: number | null,
): Promise<PostResult> {
  validateEntry(input);
  const hash = payloadHash({
    kind: input.kind,
    period: input.period ?? null,
    metadata: input.metadata ?? {},
    postings: input.postings,
    reversesEntryId,
  });
  // Our own transaction can be retried after a deadlock or serialization failure; a caller's
  // transaction is aborted by those, so they are the caller's to retry.
  const attempts = db instanceof PgTransaction ? 1 : 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await postOnce(db, input, reversesEntryId, hash);
    } catch (e) {
      const code = pgError(e)?.code;
      if (attempt < attempts && (code === "40P01" || code === "40001")) {
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        continue;
      }
      if (
        reversesEntryId !== null &&
        code === "23505" &&
        pgError(e)?.constraint === "ledger_entries_reverses"
      )
        throw new AlreadyReversedError(reversesEntryId);
      return mapLedgerDbError(e, input.postings);
    }
  }
}

async function postOnce(
  db: Db,
  input: EntryInput,
  reversesEntryId: number | null,
  hash: string,
): Promise<PostResult> {
  const period = input.period ?? null;
  const metadata = input.metadata ?? {};
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(ledgerEntries)
      .values({
        idempotencyKey: input.idempotencyKey,
        kind: input.kind,
        period,
        metadata,
        payloadHash: hash,
        reversesEntryId,
      })
      .onConflictDoNothing({ target: ledgerEntries.idempotencyKey })
      .returning({ id: ledgerEntries.id });
    const entry = inserted[0];
    if (!entry) {
      const [existing] = await tx
        .select({ id: ledgerEntries.id, payloadHash: ledgerEntries.payloadHash })
        .from(ledgerEntries)
        .where(eq(ledgerEntries.idempotencyKey, input.idempotencyKey));
      if (!existing) throw new Error(`idempotency key vanished: ${input.idempotencyKey}`);
      if (existing.payloadHash !== hash)
        throw new IdempotencyConflictError(input.idempotencyKey, existing.id);
      return { entryId: existing.id, replayed: true };
    }
    // One statement for all postings: the trigger checks and books them as a unit.
    await tx.insert(ledgerPostings).values(
      input.postings.map((p) => ({
        entryId: entry.id,
        account: p.account,
        currency: p.currency,
        amount: p.amount,
      })),
    );
    return { entryId: entry.id, replayed: false };
  });
}
