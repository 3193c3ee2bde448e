import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeCommand } from "../../src/cli/commands/close.ts";
import { UsageError } from "../../src/cli/usage.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, openPglite, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
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
  const dir = mkdtempSync(join(tmpdir(), "ff-close-cli-"));
  const cliConfig = testConfig({ TIME_ZONE: "Europe/Berlin", DATA_DIR: dir });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]) {
    const out: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
    const err = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")));
    try {
      const code = await closeCommand.run(args, cliConfig);
      return { code, out: out.join("\n") };
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }

  it("closes a period, refuses one that has not ended and reports what it posted", async () => {
    // Prepare a flattr in January 2026 in the CLI's data directory.
    const database = await openPglite(dir);
    try {
      await migrate(database);
      await flattrIn(database.db, "2026-01-15T12:00:00Z");
    } finally {
      await database.close();
    }
    await expect(run(["--period", "2026-1"])).rejects.toThrow(UsageError);
    const future = await run(["--period", "2999-01"]);
    expect(future.code).toBe(1);
    expect(future.out).toContain("has not ended");
    const first = await run(["--period", "2026-01"]);
    expect(first.code).toBe(0);
    expect(first.out).toContain("1 payers processed, 1 paid for 1 flattrs");
    expect(first.out).toContain("total 3.00 EUR, fees 0.00 EUR");
    const again = await run(["--period", "2026-01"]);
    expect(again.code).toBe(0);
    expect(again.out).toContain("already closed");
    // Without --period: the last ended period (whatever month the test runs in), nothing to pay.
    const latest = await run([]);
    expect(latest.code).toBe(0);
  });
});
