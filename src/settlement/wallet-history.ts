import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { walletAccount } from "../ledger/index.ts";

export interface WalletMovement {
  /** The posting's id: the cursor for `before`. */
  id: number;
  entryId: number;
  /** deposit, close, reversal, ... */
  kind: string;
  /** The settlement period the entry belongs to (close entries), or null (deposits). */
  period: string | null;
  createdAt: Date;
  /** Signed minor units: + money in, − money out. */
  amount: bigint;
  /** The wallet balance right after this posting. */
  balance: bigint;
  metadata: Record<string, unknown>;
  reversesEntryId: number | null;
}

export interface WalletHistory {
  currency: string;
  /** Newest first. */
  items: WalletMovement[];
  /** Pass as `before` for the next (older) page; null when there is none. */
  nextBefore: number | null;
}

const MAX_HISTORY_LIMIT = 200;

/**
 * The wallet's postings, newest first, with the running balance after each. `before` is a
 * posting id (from `nextBefore`) for paging to older movements.
 */
export async function walletHistory(
  db: Db,
  config: Config,
  userId: number,
  options: { limit?: number; before?: number | null } = {},
): Promise<WalletHistory> {
  const asked = Number.isFinite(options.limit) ? Math.trunc(options.limit as number) : 50;
  const limit = Math.max(1, Math.min(MAX_HISTORY_LIMIT, asked));
  const before = options.before ?? null;
  if (before !== null && (!Number.isSafeInteger(before) || before < 1))
    throw new RangeError(`not a cursor: ${before}`);
  const rows = await queryRows<{
    id: string;
    entry_id: string;
    kind: string;
    period: string | null;
    created_at: string | Date;
    amount: string;
    balance: string;
    metadata: Record<string, unknown> | string;
    reverses_entry_id: string | null;
  }>(
    db,
    sql`select * from (
          select p.id::text, p.entry_id::text, e.kind, e.period, e.created_at, e.metadata,
                 e.reverses_entry_id::text, p.amount::text,
                 (sum(p.amount) over (order by p.id))::text as balance, p.id as pid
          from ledger_postings p join ledger_entries e on e.id = p.entry_id
          where p.account = ${walletAccount(userId)} and p.currency = ${config.currency}::text
        ) x
        where ${before === null ? sql`true` : sql`x.pid < ${before}::int8`}
        order by x.pid desc
        limit ${limit + 1}::int4`,
  );
  const page = rows.slice(0, limit);
  return {
    currency: config.currency,
    items: page.map((r) => ({
      id: Number(r.id),
      entryId: Number(r.entry_id),
      kind: r.kind,
      period: r.period,
      createdAt: new Date(r.created_at),
      amount: BigInt(r.amount),
      balance: BigInt(r.balance),
      metadata: typeof r.metadata === "string" ? JSON.parse(r.metadata) : (r.metadata ?? {}),
      reversesEntryId: r.reverses_entry_id === null ? null : Number(r.reverses_entry_id),
    })),
    nextBefore: rows.length > limit ? Number(page[page.length - 1]!.id) : null,
  };
}
