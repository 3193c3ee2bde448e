// Model-based test: random histories of deposits, budgets, flattrs, unflattrs, month changes,
// closes (also too early and racing a lagging clock) and reversals, against a plain TypeScript
// model of the money. After EVERY step the ledger check must pass and the balances of the run's
// accounts must equal the model's.

import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { FlattrError } from "../../src/flattr/errors.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import {
  AlreadyReversedError,
  checkLedger,
  DEPOSITS,
  earningsAccount,
  FEES,
  InsufficientFundsError,
  reverseEntry,
  walletAccount,
} from "../../src/ledger/index.ts";
import { allocate } from "../../src/money/allocate.ts";
import { fee as feeOf } from "../../src/money/fee.ts";
import { CloseError, closePeriod } from "../../src/settlement/close.ts";
import { idKey } from "../helpers/close-oracle.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { deposit, makeUsers } from "../helpers/flattr.ts";

const USERS = 4;
const THINGS = 8; // thing t belongs to user t >> 1

type Step =
  | { t: "deposit"; u: number; amount: number }
  | { t: "budget"; u: number; amount: number }
  | { t: "flattr"; u: number; thing: number }
  | { t: "unflattr"; u: number; thing: number }
  | { t: "late"; u: number; thing: number }
  | { t: "advance" }
  | { t: "close" }
  | { t: "closeEarly" }
  | { t: "reverse"; pick: number };

const user = fc.integer({ min: 0, max: USERS - 1 });
const thing = fc.integer({ min: 0, max: THINGS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant("deposit" as const),
      u: user,
      amount: fc.integer({ min: 1, max: 3000 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      t: fc.constant("budget" as const),
      u: user,
      amount: fc.integer({ min: 0, max: 6000 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ t: fc.constant("flattr" as const), u: user, thing }), weight: 6 },
  { arbitrary: fc.record({ t: fc.constant("unflattr" as const), u: user, thing }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("late" as const), u: user, thing }), weight: 1 },
  { arbitrary: fc.constant({ t: "advance" as const }), weight: 1 },
  { arbitrary: fc.constant({ t: "close" as const }), weight: 2 },
  { arbitrary: fc.constant({ t: "closeEarly" as const }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant("reverse" as const), pick: fc.nat() }), weight: 1 },
);

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

let runNo = 0;
let stepsRun = 0;
/** Coverage of the interesting paths, so a generator change cannot quietly skip them. */
const seen = {
  closeEntries: 0,
  reversals: 0,
  overdraftRefused: 0,
  lateFlattrs: 0,
  periodClosed: 0,
};

interface ModelEntry {
  id: number;
  postings: Map<string, bigint>;
}

async function balances(accounts: string[], currency: string): Promise<Map<string, bigint>> {
  const rows = await queryRows<{ account: string; balance: string }>(
    db,
    sql`select account, balance::text from ledger_balances
        where currency = ${currency} and account in (${sql.join(
          accounts.map((a) => sql`${a}`),
          sql`, `,
        )})`,
  );
  return new Map(rows.map((r) => [r.account, BigInt(r.balance)]));
}

async function runHistory(steps: Step[], feeBp: number) {
  const year = 2100 + ++runNo; // each history has its own year: periods never collide
  const config: Config = testConfig({
    TIME_ZONE: "Europe/Berlin",
    FEE_BP: String(feeBp),
    MIN_BUDGET: "1.00",
    MAX_BUDGET: "50.00",
    FLATTR_RATE_LIMIT: "100000/1",
    MAX_FLATTRS_PER_PERIOD: "100000",
  });
  const cur = config.currency;
  const period = (m: number) => `${year}-${String(m).padStart(2, "0")}`;
  // Mid-month noon UTC, and the last millisecond of the month in Berlin for "late" flattrs.
  const midMonth = (m: number) => fixedClock(`${period(m)}-15T12:00:00Z`);
  const lastMs = (m: number) => {
    const next = new Date(Date.UTC(year, m, 1) - 1); // last ms of month m in UTC
    // Berlin is ahead of UTC, so its month ends 1–2 h earlier: 20:59:59.999Z is safe for both.
    next.setUTCHours(20, 59, 59, 999);
    return fixedClock(next);
  };

  const users = await makeUsers(db, USERS, `m${runNo}`);
  const things: number[] = [];
  for (let t = 0; t < THINGS; t++) {
    const { thing: th } = await registerThing(db, midMonth(1), config, users[t >> 1]!, {
      url: `https://model.example/${runNo}/${t}`,
      title: `thing ${t}`,
    });
    things.push(th.id);
  }
  const wallets = users.map((u) => walletAccount(u));
  const earnings = users.map((u) => earningsAccount(u));
  const accounts = [...wallets, ...earnings, FEES];
  const start = await balances(accounts, cur);
  const m = {
    month: 1,
    wallet: users.map(() => 0n),
    earnings: users.map(() => 0n),
    fees: start.get(FEES) ?? 0n,
    budget: users.map(() => null as bigint | null),
    /** Active flattrs per period: [flattr id, payer index, thing index]. */
    flattrs: new Map<string, { id: number; u: number; thing: number }[]>(),
    closed: new Set<string>(),
    entries: [] as ModelEntry[],
    reversed: new Set<number>(),
  };
  const bal = (account: string): bigint => {
    if (account === FEES) return m.fees;
    const w = wallets.indexOf(account);
    return w >= 0 ? m.wallet[w]! : m.earnings[earnings.indexOf(account)]!;
  };
  const add = (account: string, delta: bigint) => {
    if (account === FEES) m.fees += delta;
    else if (account !== DEPOSITS) {
      const w = wallets.indexOf(account);
      if (w >= 0) m.wallet[w]! += delta;
      else m.earnings[earnings.indexOf(account)]! += delta;
    }
  };

  const expectFlattrError = async (p: Promise<unknown>, code: string) => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e, `expected ${code}`).toBeInstanceOf(FlattrError);
    expect((e as FlattrError).code).toBe(code);
  };

  const doFlattr = async (
    u: number,
    t: number,
    P: string,
    clock: ReturnType<typeof fixedClock>,
  ) => {
    const list = m.flattrs.get(P) ?? [];
    if (t >> 1 === u)
      return expectFlattrError(flattr(db, clock, config, users[u]!, things[t]!), "own_thing");
    if (m.closed.has(P)) {
      seen.periodClosed++;
      return expectFlattrError(flattr(db, clock, config, users[u]!, things[t]!), "period_closed");
    }
    if (m.budget[u] === null)
      return expectFlattrError(flattr(db, clock, config, users[u]!, things[t]!), "no_budget");
    if (list.some((f) => f.u === u && f.thing === t))
      return expectFlattrError(
        flattr(db, clock, config, users[u]!, things[t]!),
        "already_flattred",
      );
    const f = await flattr(db, clock, config, users[u]!, things[t]!);
    expect(f.period).toBe(P);
    list.push({ id: f.id, u, thing: t });
    m.flattrs.set(P, list);
  };

  for (const s of steps) {
    stepsRun++;
    const P = period(m.month);
    switch (s.t) {
      case "deposit": {
        const r = await deposit(db, config, users[s.u]!, BigInt(s.amount));
        m.wallet[s.u]! += BigInt(s.amount);
        m.entries.push({
          id: r.entryId,
          postings: new Map([
            [wallets[s.u]!, BigInt(s.amount)],
            [DEPOSITS, -BigInt(s.amount)],
          ]),
        });
        break;
      }
      case "budget": {
        const amount = BigInt(s.amount);
        const p = setBudget(db, midMonth(m.month), config, users[s.u]!, amount);
        if (amount < config.minBudget) await expectFlattrError(p, "budget_too_low");
        else if (amount > config.maxBudget) await expectFlattrError(p, "budget_too_high");
        else {
          const r = await p;
          expect(r.aboveBalance).toBe(amount > m.wallet[s.u]!);
          m.budget[s.u] = amount;
        }
        break;
      }
      case "flattr":
        await doFlattr(s.u, s.thing, P, midMonth(m.month));
        break;
      case "late":
        // A lagging clock still in the previous month: allowed until that month is closed.
        if (m.month > 1) {
          seen.lateFlattrs++;
          await doFlattr(s.u, s.thing, period(m.month - 1), lastMs(m.month - 1));
        }
        break;
      case "unflattr": {
        const list = m.flattrs.get(P) ?? [];
        const i = list.findIndex((f) => f.u === s.u && f.thing === s.thing);
        const p = unflattr(db, midMonth(m.month), config, users[s.u]!, things[s.thing]!);
        if (i < 0) await expectFlattrError(p, "not_flattred");
        else {
          await p;
          list.splice(i, 1);
        }
        break;
      }
      case "advance":
        if (m.month < 12) m.month++;
        break;
      case "closeEarly": {
        const e = await closePeriod(db, midMonth(m.month), config, P).catch((err: unknown) => err);
        expect(e).toBeInstanceOf(CloseError);
        break;
      }
      case "close": {
        if (m.month === 1) break;
        const Q = period(m.month - 1);
        const result = await closePeriod(db, midMonth(m.month), config, Q, { batchSize: 2 });
        expect(result.alreadyClosed).toBe(m.closed.has(Q));
        if (m.closed.has(Q)) break;
        m.closed.add(Q);
        const list = m.flattrs.get(Q) ?? [];
        for (let u = 0; u < USERS; u++) {
          const mine = list.filter((f) => f.u === u);
          if (mine.length === 0) continue;
          const budget = m.budget[u] ?? 0n;
          const amount = budget < m.wallet[u]! ? budget : m.wallet[u]!;
          if (amount === 0n) continue;
          const fee = feeOf(amount, feeBp);
          const shares = allocate(
            amount - fee,
            mine.map((f) => idKey(f.id)),
          );
          const postings = new Map<string, bigint>([[wallets[u]!, -amount]]);
          if (fee > 0n) postings.set(FEES, fee);
          for (const f of mine) {
            const acct = earnings[f.thing >> 1]!;
            postings.set(acct, (postings.get(acct) ?? 0n) + shares.get(idKey(f.id))!);
          }
          for (const [a, v] of postings) {
            if (v === 0n) postings.delete(a);
            else add(a, v);
          }
          const [entry] = await queryRows<{ id: string }>(
            db,
            sql`select id::text from ledger_entries where idempotency_key = ${`close:${Q}:${users[u]}`}`,
          );
          expect(entry, `close entry of user ${u} in ${Q}`).toBeDefined();
          m.entries.push({ id: Number(entry!.id), postings });
          seen.closeEntries++;
        }
        break;
      }
      case "reverse": {
        if (m.entries.length === 0) break;
        const e = m.entries[s.pick % m.entries.length]!;
        const p = reverseEntry(db, e.id, `reversal:model:${e.id}`);
        if (m.reversed.has(e.id)) {
          // The same key again is a replay, not a second reversal.
          await p;
          break;
        }
        const overdraws = [...e.postings].some(([a, v]) => a !== DEPOSITS && bal(a) - v < 0n);
        if (overdraws) {
          await expect(p).rejects.toBeInstanceOf(InsufficientFundsError);
          seen.overdraftRefused++;
        } else {
          await p;
          m.reversed.add(e.id);
          seen.reversals++;
          for (const [a, v] of e.postings) add(a, -v);
          await expect(
            reverseEntry(db, e.id, `reversal:model:again:${e.id}`),
          ).rejects.toBeInstanceOf(AlreadyReversedError);
        }
        break;
      }
    }
    expect(await checkLedger(db), `ledger after ${JSON.stringify(s)}`).toEqual([]);
    const got = await balances(accounts, cur);
    for (const a of accounts)
      expect(got.get(a) ?? 0n, `${a} after ${JSON.stringify(s)}`).toBe(bal(a));
  }
}

it("a written-out history reaches every path the random ones are meant to reach", async () => {
  // Random histories hit the rare paths (an overdrawing reversal, a late flattr into a closed
  // month) only by chance; this one hits each for sure, checked by the same model.
  const before = { ...seen };
  await runHistory(
    [
      { t: "deposit", u: 0, amount: 1000 },
      { t: "budget", u: 0, amount: 500 },
      { t: "flattr", u: 0, thing: 2 },
      { t: "flattr", u: 0, thing: 4 },
      { t: "advance" },
      { t: "close" },
      { t: "late", u: 0, thing: 6 },
      { t: "reverse", pick: 0 }, // the deposit: half of it is spent, so this would overdraw
      { t: "reverse", pick: 1 }, // the close entry: creators still hold the money
    ],
    1000,
  );
  for (const [what, n] of Object.entries(seen)) {
    expect(n, what).toBeGreaterThan(before[what as keyof typeof seen]);
  }
});

it("random histories keep the ledger sound and the balances equal to the model", async () => {
  const runs = usingPostgres ? 10 : 30;
  // The few histories on PostgreSQL may, by chance, never reach a paying close: run another
  // round then (bounded), so the assertion below checks coverage rather than luck.
  for (let round = 0; round < 5; round++) {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 34, maxLength: 60 }),
        fc.constantFrom(0, 250, 1000, 10000),
        async (steps, feeBp) => runHistory(steps, feeBp),
      ),
      { numRuns: runs, endOnFailure: true },
    );
    if (!usingPostgres || seen.closeEntries > 0) break;
  }
  expect(stepsRun).toBeGreaterThanOrEqual(usingPostgres ? 340 : 1000);
  // Paying closes are common enough to demand of the random histories; the rare paths are
  // guaranteed by the written-out history above.
  expect(seen.closeEntries).toBeGreaterThan(0);
}, 900_000);
