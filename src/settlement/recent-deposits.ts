import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { accountUserIdSql, BANK_SOURCE, isWalletAccountSql } from "../ledger/index.ts";

export interface RecordedDeposit {
  entryId: number;
  createdAt: Date;
  userId: number;
  username: string;
  /** Minor units credited to the wallet. */
  amount: bigint;
  /** The payment's reference as recorded (the bank's transaction id). */
  reference: string;
  /** BANK_SOURCE (recorded by an admin from the bank statement) or another provider's id. */
  source: string;
  /** A reversal entry cancelled it. */
  reversed: boolean;
}

/** The most recent deposits into wallets (newest first), for the admin deposits page. */
export async function recentDeposits(
  db: Db,
  config: Config,
  options: { limit?: number } = {},
): Promise<RecordedDeposit[]> {
  const limit = Math.max(1, Math.min(500, Math.trunc(options.limit ?? 50)));
  // Deposits carry no period: the (period, kind) index finds them without walking the closes.
  const rows = await queryRows<{
    id: string;
    created_at: string | Date;
    user_id: string;
    username: string | null;
    amount: string;
    reference: string | null;
    source: string | null;
    reversed: boolean;
  }>(
    db,
    sql`select e.id::text, e.created_at, ${accountUserIdSql(sql`p.account`)}::text as user_id, u.username,
               p.amount::text, e.metadata->>'reference' as reference,
               e.metadata->>'source' as source,
               exists (select 1 from ledger_entries r where r.reverses_entry_id = e.id) as reversed
        from ledger_entries e
        join ledger_postings p on p.entry_id = e.id and ${isWalletAccountSql(sql`p.account`)}
             and p.currency = ${config.currency}::text
        left join users u on u.id = ${accountUserIdSql(sql`p.account`)}
        where e.kind = 'deposit' and e.period is null
        order by e.id desc
        limit ${limit}::int4`,
  );
  return rows.map((r) => ({
    entryId: Number(r.id),
    createdAt: new Date(r.created_at),
    userId: Number(r.user_id),
    username: r.username ?? "",
    amount: BigInt(r.amount),
    reference: r.reference ?? "",
    source: r.source ?? BANK_SOURCE,
    reversed: r.reversed,
  }));
}
