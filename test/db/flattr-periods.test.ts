import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database, Db } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { CloseError, closePeriod } from "../../src/settlement/close.ts";
import { flattrValues } from "../../src/settlement/values.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

// Period edges in Europe/Berlin: the month a flattr belongs to is its month in TIME_ZONE, never
// UTC's; DST days (29 March and 25 October 2026) are ordinary days of their month.
const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  FLATTR_RATE_LIMIT: "1000/1",
  MAX_FLATTRS_PER_PERIOD: "1000",
});

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

async function setup() {
  const clock = fixedClock("2026-01-01T00:00:00Z");
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  await deposit(db, config, payer, 100_000n);
  await setBudget(db, clock, config, payer, 1000n);
  let n = 0;
  const flattrAt = async (instant: string) => {
    const { thing } = await registerThing(db, clock, config, owner, {
      url: `https://edge.example/${owner}/${++n}`,
      title: instant,
    });
    return flattr(db, fixedClock(instant), config, payer, thing.id);
  };
  return { payer, flattrAt };
}

describe("period edges in Europe/Berlin", () => {
  it.each([
    // Last millisecond of a month vs the first of the next (CET, UTC+1).
    ["2026-01-31T22:59:59.999Z", "2026-01"],
    ["2026-01-31T23:00:00.000Z", "2026-02"],
    // February 2026 has 28 days; 1 March 00:00 in Berlin is still 28 February in UTC.
    ["2026-02-28T22:59:59.999Z", "2026-02"],
    ["2026-02-28T23:00:00.000Z", "2026-03"],
    // 29 March 2026: clocks jump from 02:00 CET to 03:00 CEST.
    ["2026-03-29T00:59:59.999Z", "2026-03"],
    ["2026-03-29T01:00:00.000Z", "2026-03"],
    // End of March is in CEST (UTC+2).
    ["2026-03-31T21:59:59.999Z", "2026-03"],
    ["2026-03-31T22:00:00.000Z", "2026-04"],
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    ["2026-10-25T00:30:00.000Z", "2026-10"],
    ["2026-10-25T01:30:00.000Z", "2026-10"],
    // End of October is in CET again (UTC+1).
    ["2026-10-31T22:59:59.999Z", "2026-10"],
    ["2026-10-31T23:00:00.000Z", "2026-11"],
    // New year.
    ["2026-12-31T22:59:59.999Z", "2026-12"],
    ["2026-12-31T23:00:00.000Z", "2027-01"],
  ])("a flattr at %s belongs to %s", async (instant, period) => {
    const { flattrAt } = await setup();
    expect((await flattrAt(instant)).period).toBe(period);
  });

  it("closes February at midnight Berlin time: the last millisecond is paid, the next is March's", async () => {
    const { payer, flattrAt } = await setup();
    const last = await flattrAt("2026-02-28T22:59:59.999Z");
    const next = await flattrAt("2026-02-28T23:00:00.000Z");
    const early = await closePeriod(
      db,
      fixedClock("2026-02-28T22:59:59.999Z"),
      config,
      "2026-02",
    ).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(CloseError);
    expect((early as CloseError).code).toBe("period_not_ended");
    await closePeriod(db, fixedClock("2026-02-28T23:00:00Z"), config, "2026-02");
    const feb = await flattrValues(db, config, payer, "2026-02");
    expect(feb.final).toBe(true);
    expect(feb.flattrs.map((f) => f.flattrId)).toEqual([last.id]);
    expect(feb.flattrs[0]!.value).toBe(1000n);
    const mar = await flattrValues(db, config, payer, "2026-03");
    expect(mar.status).toBe("open");
    expect(mar.flattrs.map((f) => f.flattrId)).toEqual([next.id]);
    // The flattr on the next day is not in a closed period: a late one for February is refused.
    await expect(flattrAt("2026-02-28T22:59:59.999Z")).rejects.toMatchObject({
      code: "period_closed",
    });
    expect(await checkLedger(db)).toEqual([]);
  });

  it("closes October (DST fall-back month) only once it has ended in CET", async () => {
    const { payer, flattrAt } = await setup();
    await flattrAt("2026-10-25T00:30:00.000Z");
    await flattrAt("2026-10-25T01:30:00.000Z");
    await flattrAt("2026-10-31T22:59:59.999Z");
    await expect(
      closePeriod(db, fixedClock("2026-10-31T22:00:00Z"), config, "2026-10"),
    ).rejects.toThrow(/has not ended/);
    const r = await closePeriod(db, fixedClock("2026-10-31T23:00:00Z"), config, "2026-10");
    expect(r.thisRun.paidFlattrs).toBeGreaterThanOrEqual(3);
    const oct = await flattrValues(db, config, payer, "2026-10");
    expect(oct.flattrs.map((f) => f.value)).toEqual([334n, 333n, 333n]);
    expect(await checkLedger(db)).toEqual([]);
  });
});
