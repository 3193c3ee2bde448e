import { sql } from "drizzle-orm";
import { expect } from "vitest";
import type { Config } from "../../src/config/config.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import {
  earningsAccount,
  FEES,
  payloadHash,
  walletAccount,
  walletAccountSql,
} from "../../src/ledger/index.ts";
import { allocate } from "../../src/money/allocate.ts";
import { fee as feeOf } from "../../src/money/fee.ts";

/** Flattr ids as allocate() keys: zero-padded so code-point order is numeric order. */
export const idKey = (id: number) => String(id).padStart(20, "0");

export interface ExpectedPayer {
  userId: number;
  amount: bigint;
  fee: bigint;
  flattrs: { id: number; owner: number; share: bigint }[];
}

/** What the close must post for period P, computed in TypeScript from the current state. */
export async function expectedClose(db: Db, config: Config, period: string) {
  const rows = await queryRows<{
    id: string;
    payer_id: string;
    owner_id: string;
    budget: string | null;
    balance: string | null;
  }>(
    db,
    sql`select f.id::text, f.payer_id::text, t.owner_id::text, b.amount::text as budget,
               w.balance::text as balance
        from flattrs f join things t on t.id = f.thing_id
        left join budgets b on b.user_id = f.payer_id and b.currency = ${config.currency}
        left join ledger_balances w on w.account = ${walletAccountSql(sql`f.payer_id`)} and w.currency = ${config.currency}
        where f.period = ${period} and f.withdrawn_at is null order by f.id`,
  );
  const payers = new Map<number, ExpectedPayer>();
  for (const r of rows) {
    const userId = Number(r.payer_id);
    let p = payers.get(userId);
    if (!p) {
      const budget = BigInt(r.budget ?? 0);
      const balance = BigInt(r.balance ?? 0);
      const amount = budget < balance ? budget : balance;
      const fee = feeOf(amount, config.feeBp);
      p = { userId, amount, fee, flattrs: [] };
      payers.set(userId, p);
    }
    p.flattrs.push({ id: Number(r.id), owner: Number(r.owner_id), share: 0n });
  }
  for (const p of payers.values()) {
    // The money module's allocate is the reference the SQL split must agree with.
    const shares = allocate(
      p.amount - p.fee,
      p.flattrs.map((f) => idKey(f.id)),
    );
    for (const f of p.flattrs) f.share = shares.get(idKey(f.id))!;
  }
  return payers;
}

/** Asserts that the ledger holds exactly the expected close entries for P, and nothing more. */
export async function assertClosePosted(
  db: Db,
  config: Config,
  period: string,
  expected: Map<number, ExpectedPayer>,
) {
  const entries = await queryRows<{
    id: string;
    key: string;
    metadata: Record<string, unknown> | string;
    hash: string;
  }>(
    db,
    sql`select id::text, idempotency_key as key, metadata, payload_hash as hash
        from ledger_entries where kind = 'close' and period = ${period}`,
  );
  const postings = await queryRows<{ entry_id: string; account: string; amount: string }>(
    db,
    sql`select p.entry_id::text, p.account, p.amount::text from ledger_postings p
        join ledger_entries e on e.id = p.entry_id where e.kind = 'close' and e.period = ${period}`,
  );
  const byEntry = new Map<string, { account: string; amount: bigint }[]>();
  for (const p of postings) {
    const list = byEntry.get(p.entry_id) ?? [];
    list.push({ account: p.account, amount: BigInt(p.amount) });
    byEntry.set(p.entry_id, list);
  }
  const paying = [...expected.values()].filter((p) => p.amount > 0n);
  expect(entries.length).toBe(paying.length);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  for (const p of paying) {
    const entry = byKey.get(`close:${period}:${p.userId}`);
    expect(entry, `entry for payer ${p.userId}`).toBeDefined();
    const want = new Map<string, bigint>();
    want.set(walletAccount(p.userId), -p.amount);
    if (p.fee > 0n) want.set(FEES, p.fee);
    for (const f of p.flattrs) {
      const acct = earningsAccount(f.owner);
      want.set(acct, (want.get(acct) ?? 0n) + f.share);
    }
    for (const [k, v] of want) if (v === 0n) want.delete(k);
    const got = new Map(byEntry.get(entry!.id)!.map((x) => [x.account, x.amount]));
    expect(got).toEqual(want);
    // The hash the SQL computed is the ledger's own payloadHash of this entry.
    const metadata =
      typeof entry!.metadata === "string" ? JSON.parse(entry!.metadata) : entry!.metadata;
    expect(entry!.hash).toBe(
      payloadHash({
        kind: "close",
        period,
        metadata,
        postings: [...got].map(([account, amount]) => ({
          account,
          currency: config.currency,
          amount,
        })),
        reversesEntryId: null,
      }),
    );
  }
  const processed = await queryRows<{
    user_id: string;
    amount: string;
    fee: string;
    flattrs: number;
  }>(
    db,
    sql`select user_id::text, amount::text, fee::text, flattrs from close_payers where period = ${period}`,
  );
  expect(processed.length).toBe(expected.size);
  for (const r of processed) {
    const p = expected.get(Number(r.user_id))!;
    expect(BigInt(r.amount)).toBe(p.amount);
    expect(BigInt(r.fee)).toBe(p.fee);
    expect(r.flattrs).toBe(p.flattrs.length);
  }
}

/** Every entry and posting, for "the ledger did not change" comparisons. */
export async function ledgerSnapshot(db: Db) {
  return queryRows(
    db,
    sql`select e.id::text, e.idempotency_key, e.payload_hash, p.account, p.amount::text
        from ledger_entries e join ledger_postings p on p.entry_id = e.id order by p.id`,
  );
}
