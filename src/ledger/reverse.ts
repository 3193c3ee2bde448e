import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { ledgerEntries, ledgerPostings } from "../db/schema/ledger.ts";
import { EntryNotFoundError } from "./errors.ts";
import { type PostResult, postEntryInternal } from "./post.ts";

/**
 * Cancels an entry by posting its mirror image (every posting negated), kind "reversal", in the
 * original's period, linked by reverses_entry_id. An entry is reversed at most once
 * (AlreadyReversedError); the key makes retries replays. May throw InsufficientFundsError
 * (e.g. reversing a deposit that has been spent).
 */
export async function reverseEntry(
  db: Db,
  entryId: number,
  idempotencyKey: string,
  metadata: Record<string, unknown> = {},
): Promise<PostResult> {
  const [original] = await db
    .select({ id: ledgerEntries.id, kind: ledgerEntries.kind, period: ledgerEntries.period })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.id, entryId));
  if (!original) throw new EntryNotFoundError(entryId);
  const postings = await db
    .select({
      account: ledgerPostings.account,
      currency: ledgerPostings.currency,
      amount: ledgerPostings.amount,
    })
    .from(ledgerPostings)
    .where(eq(ledgerPostings.entryId, entryId))
    .orderBy(asc(ledgerPostings.id));
  return postEntryInternal(
    db,
    {
      idempotencyKey,
      kind: "reversal",
      period: original.period,
      metadata: { ...metadata, reverses: entryId, reversedKind: original.kind },
      postings: postings.map((p) => ({ ...p, amount: -p.amount })),
    },
    entryId,
  );
}
