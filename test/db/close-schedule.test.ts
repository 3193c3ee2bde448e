import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import {
  closeDuePeriods,
  duePeriods,
  lastEndedPeriod,
  startAutoClose,
} from "../../src/settlement/auto-close.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  CLOSE_GRACE_SECONDS: "3600",
  FLATTR_RATE_LIMIT: "1000/1",
});

async function flattrIn(db: Db, at: string) {
  const clock = fixedClock(at);
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  await deposit(db, config, payer, 1000n);
  await setBudget(db, clock, config, payer, 300n);
  const { thing } = await registerThing(db, clock, config, owner, {
    url: `https://example.com/${owner}`,
    title: "x",
  });
  return flattr(db, clock, config, payer, thing.id);
}

const closedPeriods = async (db: Db) =>
  (
    await queryRows<{ period: string }>(
      db,
      sql`select period from closed_periods where closed_at is not null order by period`,
    )
  ).map((r) => r.period);

describe("automatic close", () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("waits for the grace period, then closes the last ended period and older open ones", async () => {
    const db = database.db;
    await flattrIn(db, "2026-01-10T12:00:00Z");
    await flattrIn(db, "2026-02-10T12:00:00Z");
    await flattrIn(db, "2026-03-10T12:00:00Z");
    expect(lastEndedPeriod(new Date("2026-03-31T22:30:00Z"), config.timeZone)).toBe("2026-03");
    // March ended at 22:00Z (midnight in Berlin); the grace runs until 23:00Z.
    const early = fixedClock("2026-03-31T22:59:59Z");
    expect(await duePeriods(db, early, config)).toEqual(["2026-01", "2026-02"]);
    await closeDuePeriods(db, early, config);
    expect(await closedPeriods(db)).toEqual(["2026-01", "2026-02"]);
    const late = fixedClock("2026-03-31T23:00:00Z");
    const results = await closeDuePeriods(db, late, config);
    expect(results.map((r) => r.period)).toEqual(["2026-03"]);
    expect(results[0]!.total.amount).toBe(300n);
    expect(await closeDuePeriods(db, late, config)).toEqual([]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("runs as a loop in the worker and stops cleanly", async () => {
    const db = database.db;
    await flattrIn(db, "2026-04-10T12:00:00Z");
    const clock = fixedClock("2026-05-02T00:00:00Z");
    const loop = startAutoClose({ database, clock, config }, { intervalMs: 20 });
    await vi.waitFor(async () => expect(await closedPeriods(db)).toContain("2026-04"), {
      timeout: 10_000,
    });
    await loop.stop();
  });
});

describe("fediflattr close", () => {
  const cliConfig = testConfig({ TIME_ZONE: "Europe/Berlin" });
  const clock = fixedClock("2026-02-10T12:00:00Z");
  let cliDatabase: Database;
  beforeAll(async () => {
    cliDatabase = await createTestDatabase();
  });
  afterAll(() => cliDatabase?.close());

  /** The CLI's runner in this process, given the test database, config and clock. */
  async function run(args: string[]) {
    const r = await runCliWith(["close", ...args], {
      deps: { config: cliConfig, clock, database: cliDatabase },
    });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  it("closes a period, refuses one that has not ended and reports what it posted", async () => {
    await flattrIn(cliDatabase.db, "2026-01-15T12:00:00Z");
    const typo = await run(["--period", "2026-1"]);
    expect(typo.code).toBe(2);
    expect(typo.out).toContain('--period must look like 2026-03, got "2026-1"');
    const future = await run(["--period", "2999-01"]);
    expect(future.code).toBe(1);
    expect(future.out).toContain("has not ended");
    // Without --period: the last ended period by the clock the runner gave the command.
    const first = await run([]);
    expect(first.code).toBe(0);
    expect(first.out).toContain("Closing 2026-01 (Europe/Berlin)");
    expect(first.out).toContain("1 payers processed, 1 paid for 1 flattrs");
    expect(first.out).toContain("total 3.00 EUR, fees 0.00 EUR");
    const again = await run(["--period", "2026-01"]);
    expect(again.code).toBe(0);
    expect(again.out).toContain("already closed");
    expect(await checkLedger(cliDatabase.db)).toEqual([]);
  });
});
