import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client.ts";
import { CURRENCY, FEE_BP, PERIOD, type Sizes, seedBalance, seedBudget } from "./seed.ts";

/*
 * A benchmark that posts wrong numbers is worthless: after the close and the baseline ran on
 * identical copies, their ledgers must agree entry by entry (same keys, same payload hashes, so
 * the same postings), account by account (sum of the period's close postings and every final
 * balance), and both must match totals computed here in TypeScript from the seed's formulas.
 */

export interface LedgerPicture {
  /** idempotency key → payload hash of the period's close entries. */
  entries: Map<string, string>;
  postings: number;
  /** account → sum of the period's close postings. */
  sums: Map<string, bigint>;
  /** account → balance, every account. */
  balances: Map<string, bigint>;
}

export async function ledgerPicture(db: Db): Promise<LedgerPicture> {
  const entries = await queryRows<{ k: string; h: string }>(
    db,
    sql`select idempotency_key as k, payload_hash as h from ledger_entries
        where kind = 'close' and period = ${PERIOD}`,
  );
  const sums = await queryRows<{ account: string; s: string; n: string }>(
    db,
    sql`select p.account, sum(p.amount)::text as s, count(*)::text as n
        from ledger_postings p join ledger_entries e on e.id = p.entry_id
        where e.kind = 'close' and e.period = ${PERIOD} group by p.account`,
  );
  const balances = await queryRows<{ account: string; balance: string }>(
    db,
    sql`select account, balance::text from ledger_balances where currency = ${CURRENCY}`,
  );
  return {
    entries: new Map(entries.map((r) => [r.k, r.h])),
    postings: sums.reduce((n, r) => n + Number(r.n), 0),
    sums: new Map(sums.map((r) => [r.account, BigInt(r.s)])),
    balances: new Map(balances.map((r) => [r.account, BigInt(r.balance)])),
  };
}

function diffMaps<V>(what: string, a: Map<string, V>, b: Map<string, V>, problems: string[]) {
  let n = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(k) !== b.get(k)) {
      if (n++ < 5) problems.push(`${what} ${k}: close ${a.get(k)} ≠ baseline ${b.get(k)}`);
    }
  }
  if (n > 5) problems.push(`… ${n - 5} more ${what} differences`);
}

export interface Expected {
  paying: number;
  amount: bigint;
  fees: bigint;
}

/** Totals the close must reach, from the seed's formulas alone. */
export function expectedTotals(s: Sizes): Expected {
  let paying = 0;
  let amount = 0n;
  let fees = 0n;
  for (let u = s.creators + 1; u <= s.creators + s.payers; u++) {
    const budget = seedBudget(u);
    const balance = seedBalance(u);
    // biome-ignore lint/complexity/useMathMinMax: Math.min throws on bigints
    const a = budget < balance ? budget : balance;
    if (a > 0n) paying++;
    amount += a;
    fees += (a * BigInt(FEE_BP)) / 10000n;
  }
  return { paying, amount, fees };
}

export interface Verdict {
  ok: boolean;
  problems: string[];
  entries: number;
  postings: number;
  accounts: number;
  amount: string;
  fees: string;
}

export function compare(close: LedgerPicture, base: LedgerPicture, expected: Expected): Verdict {
  const problems: string[] = [];
  if (close.entries.size !== base.entries.size)
    problems.push(`entries: close ${close.entries.size} ≠ baseline ${base.entries.size}`);
  if (close.postings !== base.postings)
    problems.push(`postings: close ${close.postings} ≠ baseline ${base.postings}`);
  diffMaps("entry", close.entries, base.entries, problems);
  diffMaps("account sum", close.sums, base.sums, problems);
  diffMaps("balance", close.balances, base.balances, problems);

  let walletDebits = 0n;
  let total = 0n;
  for (const [account, s] of close.sums) {
    if (account.startsWith("wallet:")) walletDebits -= s;
    total += s;
  }
  const fees = close.sums.get("fees") ?? 0n;
  if (total !== 0n) problems.push(`close postings sum to ${total}, not 0`);
  if (close.entries.size !== expected.paying)
    problems.push(`${close.entries.size} close entries, expected ${expected.paying} paying payers`);
  if (walletDebits !== expected.amount)
    problems.push(`wallets debited ${walletDebits}, expected ${expected.amount}`);
  if (fees !== expected.fees) problems.push(`fees ${fees}, expected ${expected.fees}`);
  return {
    ok: problems.length === 0,
    problems,
    entries: close.entries.size,
    postings: close.postings,
    accounts: close.sums.size,
    amount: walletDebits.toString(),
    fees: fees.toString(),
  };
}
