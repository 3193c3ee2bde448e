import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { CloseError, closePeriod, periodStats } from "../../src/settlement/close.ts";
import { flattrValues } from "../../src/settlement/values.ts";
import { assertClosePosted, expectedClose, ledgerSnapshot } from "../helpers/close-oracle.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const relaxed = (o: Record<string, string> = {}): Config =>
  testConfig({
    TIME_ZONE: "Europe/Berlin",
    FLATTR_RATE_LIMIT: "100000/1",
    MAX_FLATTRS_PER_PERIOD: "100000",
    ...o,
  });

/** Creators with things, and payers with given budgets, balances and flattr counts. */
async function scenario(
  config: Config,
  at: string,
  payers: { budget?: bigint; balance: bigint; flattrs: number }[],
  creators = 3,
) {
  const clock = fixedClock(at);
  const owners: number[] = [];
  const things: number[] = [];
  for (let i = 0; i < creators; i++) {
    const o = await makeUser(db);
    owners.push(o);
    for (let j = 0; j < 4; j++) {
      const { thing } = await registerThing(db, clock, config, o, {
        url: `https://c${o}.example/${j}`,
        title: `t${j}`,
      });
      things.push(thing.id);
    }
  }
  const ids: number[] = [];
  for (const p of payers) {
    const u = await makeUser(db);
    ids.push(u);
    if (p.balance > 0n) await deposit(db, config, u, p.balance);
    if (p.budget !== undefined) {
      await setBudget(db, clock, config, u, p.budget);
      for (let k = 0; k < p.flattrs; k++) {
        await flattr(db, clock, config, u, things[(k * 5 + u) % things.length]!);
      }
    }
  }
  return { clock, owners, things, payers: ids };
}

describe("month close", () => {
  it("posts min(budget, balance), the fee and a largest-remainder split, to the cent", async () => {
    const config = relaxed({ FEE_BP: "1000", MIN_BUDGET: "0.01" });
    const s = await scenario(config, "2026-01-20T10:00:00Z", [
      { budget: 500n, balance: 10000n, flattrs: 7 }, // 500 over 7 after a 50 fee: 450/7
      { budget: 500n, balance: 301n, flattrs: 3 }, // balance below budget
      { budget: 1000n, balance: 0n, flattrs: 2 }, // nothing to pay: processed, no entry
      { budget: 3n, balance: 100n, flattrs: 5 }, // fewer cents than flattrs: zero shares
      { budget: 10000n, balance: 9999n, flattrs: 12 },
      { budget: 1n, balance: 1n, flattrs: 1 },
    ]);
    // A withdrawn flattr is not paid.
    await unflattr(db, s.clock, config, s.payers[0]!, s.things[(6 * 5 + s.payers[0]!) % 12]!);
    const expected = await expectedClose(db, config, "2026-01");
    // The projection equals what the close will post.
    const projected = await flattrValues(db, config, s.payers[0]!, "2026-01");
    expect(projected.status).toBe("open");
    expect(projected.final).toBe(false);
    expect(projected.amount).toBe(500n);
    expect(projected.fee).toBe(50n);
    expect(projected.flattrs.map((f) => f.value)).toEqual(
      expected.get(s.payers[0]!)!.flattrs.map((f) => f.share),
    );

    const progress: number[] = [];
    const result = await closePeriod(db, fixedClock("2026-02-01T00:00:00Z"), config, "2026-01", {
      batchSize: 2,
      onProgress: (p) => {
        progress.push(p.usersDone);
      },
    });
    expect(progress).toEqual([2, 4, 6]);
    await assertClosePosted(db, config, "2026-01", expected);
    expect(await checkLedger(db)).toEqual([]);

    const pay = [...expected.values()];
    expect(result.thisRun.users).toBe(6);
    expect(result.thisRun.payers).toBe(5);
    expect(result.thisRun.amount).toBe(pay.reduce((s, p) => s + p.amount, 0n));
    expect(result.thisRun.fees).toBe(pay.reduce((s, p) => s + p.fee, 0n));
    expect(result.total).toEqual(result.thisRun);
    for (const p of pay) {
      const net = p.amount - p.fee;
      const n = BigInt(p.flattrs.length);
      const sum = p.flattrs.reduce((s, f) => s + f.share, 0n);
      expect(sum + p.fee).toBe(p.amount);
      for (const f of p.flattrs) expect([net / n, net / n + 1n]).toContain(f.share);
      // The final values shown after the close are the posted ones.
      const v = await flattrValues(db, config, p.userId, "2026-01");
      expect(v.status).toBe("closed");
      expect(v.final).toBe(true);
      expect(v.amount).toBe(p.amount);
      expect(v.flattrs.map((f) => f.value)).toEqual(p.flattrs.map((f) => f.share));
    }
    const [state] = await queryRows<{ closed: boolean; stats: unknown }>(
      db,
      sql`select closed_at is not null as closed, stats from closed_periods where period = '2026-01'`,
    );
    expect(state?.closed).toBe(true);
  });

  it("running it again changes nothing", async () => {
    const config = relaxed({ FEE_BP: "250" });
    await scenario(config, "2026-02-27T10:00:00Z", [
      { budget: 700n, balance: 5000n, flattrs: 3 },
      { budget: 200n, balance: 200n, flattrs: 6 },
    ]);
    const expected = await expectedClose(db, config, "2026-02");
    const clock = fixedClock("2026-03-05T00:00:00Z");
    const first = await closePeriod(db, clock, config, "2026-02");
    const before = await ledgerSnapshot(db);
    const second = await closePeriod(db, clock, config, "2026-02");
    expect(second.alreadyClosed).toBe(true);
    expect(second.thisRun.users).toBe(0);
    expect(second.total).toEqual(first.total);
    expect(await ledgerSnapshot(db)).toEqual(before);
    await assertClosePosted(db, config, "2026-02", expected);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("after a crash between batches, the rerun posts every payer exactly once", async () => {
    const config = relaxed();
    const payers = Array.from({ length: 9 }, (_, i) => ({
      budget: BigInt(200 + i * 37),
      balance: BigInt(150 + i * 100),
      flattrs: 1 + (i % 4),
    }));
    await scenario(config, "2026-03-29T00:30:00Z", payers); // the DST night in Berlin
    const expected = await expectedClose(db, config, "2026-03");
    const clock = fixedClock("2026-04-01T00:00:00Z");
    let seen = 0;
    await expect(
      closePeriod(db, clock, config, "2026-03", {
        batchSize: 2,
        onProgress: () => {
          if (++seen === 2) throw new Error("killed");
        },
      }),
    ).rejects.toThrow("killed");
    expect((await periodStats(db, "2026-03")).users).toBe(4);
    const [state] = await queryRows<{ closed: boolean }>(
      db,
      sql`select closed_at is not null as closed from closed_periods where period = '2026-03'`,
    );
    expect(state?.closed).toBe(false); // sealed, not closed
    const rerun = await closePeriod(db, clock, config, "2026-03", { batchSize: 4 });
    expect(rerun.thisRun.users).toBe(5);
    expect(rerun.total.users).toBe(9);
    await assertClosePosted(db, config, "2026-03", expected);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("refuses a period that has not ended, in the instance time zone", async () => {
    const config = relaxed();
    // 2026-04-30T22:00Z is midnight in Berlin: April ends then, not at midnight UTC.
    const e = await closePeriod(db, fixedClock("2026-04-30T21:59:59.999Z"), config, "2026-04").then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(CloseError);
    expect((e as CloseError).code).toBe("period_not_ended");
    expect((e as CloseError).message).toContain("2026-04-30T22:00:00.000Z");
    await expect(closePeriod(db, fixedClock("2030-01-01"), config, "2026-13")).rejects.toThrow(
      CloseError,
    );
    const ok = await closePeriod(db, fixedClock("2026-04-30T22:00:00Z"), config, "2026-04");
    expect(ok.total.users).toBe(0);
  });

  it("takes the budget in the instance currency only and ignores users without budget", async () => {
    const config = relaxed();
    const s = await scenario(config, "2026-05-10T10:00:00Z", [
      { budget: 500n, balance: 1000n, flattrs: 2 },
    ]);
    // A budget row in another currency (an instance that changed currency) pays nothing.
    await db.execute(sql`update budgets set currency = 'USD' where user_id = ${s.payers[0]!}`);
    const r = await closePeriod(db, fixedClock("2026-06-01T00:00:00Z"), config, "2026-05");
    expect(r.thisRun.users).toBe(1);
    expect(r.thisRun.payers).toBe(0);
    expect(await checkLedger(db)).toEqual([]);
  });
});
