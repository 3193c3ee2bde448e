import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { ledgerBalances } from "../db/schema/ledger.ts";

/** Current balance in minor units (0 for an account that has never been posted to). */
export async function balanceOf(db: Db, account: string, currency: string): Promise<bigint> {
  const [row] = await db
    .select({ balance: ledgerBalances.balance })
    .from(ledgerBalances)
    .where(and(eq(ledgerBalances.account, account), eq(ledgerBalances.currency, currency)));
  return row?.balance ?? 0n;
}
