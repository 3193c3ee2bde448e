import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { ledgerEntries, ledgerPostings } from "../db/schema/ledger.ts";
import { accountUserId, isWalletAccountSql } from "./accounts.ts";

/** What a recorded deposit entry credited, for messages about it; null if it is not a deposit. */
export async function describeDeposit(
  db: Db,
  entryId: number,
): Promise<{
  userId: number | null;
  amount: bigint;
  currency: string;
  /** The payment's reference as it was recorded. */
  reference: string;
} | null> {
  const [row] = await db
    .select({
      metadata: ledgerEntries.metadata,
      account: ledgerPostings.account,
      amount: ledgerPostings.amount,
      currency: ledgerPostings.currency,
    })
    .from(ledgerPostings)
    .innerJoin(ledgerEntries, eq(ledgerEntries.id, ledgerPostings.entryId))
    .where(
      and(
        eq(ledgerPostings.entryId, entryId),
        eq(ledgerEntries.kind, "deposit"),
        isWalletAccountSql(sql`${ledgerPostings.account}`),
      ),
    );
  return row
    ? {
        userId: accountUserId(row.account),
        amount: row.amount,
        currency: row.currency,
        reference: String(row.metadata.reference ?? ""),
      }
    : null;
}
