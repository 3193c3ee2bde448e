// Model-based test: random histories of deposits, transfers, payouts, reversals, replays and
// conflicting keys against the real database, compared after every step with a model of the
// balances, and the ledger check run after every step. ≥1000 steps on PGlite, fewer on PostgreSQL.
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client.ts";
import {
  AlreadyReversedError,
  balanceOf,
  checkLedger,
  DEPOSITS,
  earningsAccount,
  FEES,
  IdempotencyConflictError,
  InsufficientFundsError,
  mayGoNegative,
  PAYOUTS,
  type Posting,
  postEntry,
  reverseEntry,
  walletAccount,
} from "../../src/ledger/index.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const EUR = "EUR";
const USERS = 4;

type Op =
  | { t: "deposit"; user: number; amount: bigint; ref: number }
  | { t: "transfer"; from: number; to: number; amount: bigint; fee: bigint; toEarnings: boolean }
  | { t: "payout"; user: number; amount: bigint }
  | { t: "reverse"; pick: number; key: number }
  | { t: "replay"; pick: number };

const user = fc.integer({ min: 1, max: USERS });
const money = fc.bigInt({ min: 1n, max: 3000n });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("deposit" as const),
      user,
      amount: money,
      ref: fc.integer({ min: 0, max: 15 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant("transfer" as const),
      from: user,
      to: user,
      amount: money,
      fee: fc.bigInt({ min: 0n, max: 50n }),
      toEarnings: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("payout" as const), user, amount: money }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("reverse" as const),
      pick: fc.nat(),
      key: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("replay" as const), pick: fc.nat() }) },
);

interface Posted {
  key: string;
  entryId: number;
  postings: Posting[];
  call: () => Promise<{ entryId: number; replayed: boolean }>;
}

let runNo = 0;
/** Which outcomes the histories reached, so the test cannot pass vacuously. */
const seen = new Set<string>();

async function runHistory(ops: Op[]): Promise<void> {
  const run = ++runNo;
  const base = 1000 * run; // fresh users per history
  const wallet = (u: number) => walletAccount(base + u);
  const earnings = (u: number) => earningsAccount(base + u);
  const model = new Map<string, bigint>();
  const touched = new Set<string>([DEPOSITS, PAYOUTS, FEES]);
  for (const a of touched) model.set(a, await balanceOf(database.db, a, EUR));
  const bal = (a: string) => model.get(a) ?? 0n;
  const posted: Posted[] = [];
  const byKey = new Map<string, Posted & { sig: string }>();
  const reversed = new Map<number, string>(); // entryId → reversal key

  const apply = (ps: Posting[]) => {
    for (const p of ps) {
      touched.add(p.account);
      model.set(p.account, bal(p.account) + p.amount);
    }
  };
  const affordable = (ps: Posting[]) => {
    const next = new Map<string, bigint>();
    for (const p of ps) next.set(p.account, (next.get(p.account) ?? bal(p.account)) + p.amount);
    return [...next].every(([a, b]) => b >= 0n || mayGoNegative(a));
  };

  /** Posts, and checks the outcome against the model. */
  async function expectPost(key: string, sig: string, ps: Posting[], call: Posted["call"]) {
    const prior = byKey.get(key);
    const outcome = await call().then(
      (r) => r,
      (e) => e as Error,
    );
    if (prior) {
      if (prior.sig === sig) {
        expect(outcome).toEqual({ entryId: prior.entryId, replayed: true });
        seen.add("replayed");
      } else {
        expect(outcome).toBeInstanceOf(IdempotencyConflictError);
        seen.add("conflict");
      }
      return;
    }
    if (!affordable(ps)) {
      expect(outcome).toBeInstanceOf(InsufficientFundsError);
      seen.add("insufficient");
      return;
    }
    if (outcome instanceof Error) throw outcome;
    expect(outcome.replayed).toBe(false);
    seen.add(key.split(":")[1]!);
    apply(ps);
    const p = { key, entryId: outcome.entryId, postings: ps, call, sig };
    posted.push(p);
    byKey.set(key, p);
  }

  for (const o of ops) {
    switch (o.t) {
      case "deposit": {
        const key = `m${run}:deposit:${o.ref}`;
        const ps = [
          { account: DEPOSITS, currency: EUR, amount: -o.amount },
          { account: wallet(o.user), currency: EUR, amount: o.amount },
        ];
        const call = () =>
          postEntry(database.db, { idempotencyKey: key, kind: "deposit", postings: ps });
        await expectPost(key, `${o.user}:${o.amount}`, ps, call);
        break;
      }
      case "transfer": {
        const key = `m${run}:transfer:${posted.length}:${o.from}:${o.to}`;
        const to = o.toEarnings ? earnings(o.to) : wallet(o.to);
        const net = o.amount - o.fee;
        const ps: Posting[] = [{ account: wallet(o.from), currency: EUR, amount: -o.amount }];
        if (net !== 0n) ps.push({ account: to, currency: EUR, amount: net });
        if (o.fee !== 0n) ps.push({ account: FEES, currency: EUR, amount: o.fee });
        if (ps.length < 2) break;
        const call = () =>
          postEntry(database.db, { idempotencyKey: key, kind: "transfer", postings: ps });
        await expectPost(key, "", ps, call);
        break;
      }
      case "payout": {
        const key = `m${run}:payout:${posted.length}:${o.user}`;
        const ps = [
          { account: earnings(o.user), currency: EUR, amount: -o.amount },
          { account: PAYOUTS, currency: EUR, amount: o.amount },
        ];
        const call = () =>
          postEntry(database.db, { idempotencyKey: key, kind: "payout", postings: ps });
        await expectPost(key, "", ps, call);
        break;
      }
      case "reverse": {
        if (posted.length === 0) break;
        const target = posted[o.pick % posted.length]!;
        const key = `m${run}:reverse:${target.entryId}:${o.key}`;
        const ps = target.postings.map((p) => ({ ...p, amount: -p.amount }));
        const call = () => reverseEntry(database.db, target.entryId, key);
        const earlier = reversed.get(target.entryId);
        if (earlier !== undefined && earlier !== key && !byKey.has(key)) {
          await expect(call()).rejects.toThrow(AlreadyReversedError);
          seen.add("already_reversed");
          break;
        }
        await expectPost(key, `rev:${target.entryId}`, ps, call);
        if (byKey.has(key)) reversed.set(target.entryId, key);
        break;
      }
      case "replay": {
        if (posted.length === 0) break;
        const target = posted[o.pick % posted.length]!;
        expect(await target.call()).toEqual({ entryId: target.entryId, replayed: true });
        break;
      }
    }
    const rows = await queryRows<{ account: string; balance: string }>(
      database.db,
      sql`select account, balance::text as balance from ledger_balances
          where currency = ${EUR} and account in (${sql.join(
            [...touched].map((a) => sql`${a}`),
            sql`, `,
          )})`,
    );
    const stored = new Map(rows.map((r) => [r.account, BigInt(r.balance)]));
    for (const a of touched) expect(stored.get(a) ?? 0n, a).toBe(bal(a));
    expect(await checkLedger(database.db)).toEqual([]);
  }
}

it("keeps the ledger sound and equal to the model over random histories", async () => {
  let steps = 0;
  const target = usingPostgres ? 400 : 1000;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 50, maxLength: 80 }), async (ops) => {
      steps += ops.length;
      await runHistory(ops);
    }),
    { numRuns: usingPostgres ? 8 : 20, endOnFailure: true },
  );
  expect(steps).toBeGreaterThanOrEqual(target);
}, 600_000);
