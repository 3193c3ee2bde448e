import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

/** Values in the order of the table rows. */
const values = (html: string) =>
  [...html.matchAll(/<td class="num"><span class="amount" data-amount="([\d.]+)"/g)].map(
    (m) => m[1],
  );

describe("this month page", () => {
  it("projected values with the exact split, then final values after the close", async () => {
    const config = testConfig({ TIME_ZONE: "Europe/Berlin" });
    const clock = fixedClock("2026-03-15T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const creator = await m.user();
    const payer = await m.user();
    await setBudget(database.db, clock, config, payer, 500n);
    await deposit(database.db, config, payer, 1000n);
    for (let i = 1; i <= 7; i++) {
      const { thing } = await registerThing(database.db, clock, config, creator, {
        url: `https://seven.example/${i}`,
        title: `Thing ${i}`,
      });
      await flattr(database.db, clock, config, payer, thing.id);
    }
    const c = await m.as(payer);
    const res = await c.get("/flattrs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const text = textOf(html);
    expect(text).toContain("This month");
    expect(text).toContain("€5.00 over 7 flattrs = about €0.71 each");
    expect(text).toContain("projected values");
    // 500 = 7 × 71 + 3: the first three flattrs get a cent more.
    expect(values(html)).toEqual(["0.72", "0.72", "0.72", "0.71", "0.71", "0.71", "0.71"]);
    expect(text).toContain("To creators €5.00");

    clock.set("2026-04-01T08:00:00Z");
    await closePeriod(database.db, clock, config, "2026-03");
    expect(await checkLedger(database.db)).toEqual([]);
    const now = await c.get("/flattrs");
    expect(textOf(await now.text())).toContain("No flattrs in April 2026");
    const past = await (await c.get("/flattrs?period=2026-03")).text();
    expect(textOf(past)).toContain("March 2026 is closed: these are the final values, as paid.");
    expect(textOf(past)).toContain("€5.00 over 7 flattrs = about €0.71 each");
    expect(values(past)).toEqual(["0.72", "0.72", "0.72", "0.71", "0.71", "0.71", "0.71"]);
    expect(past).toContain('<option value="2026-03" selected="">');
  });

  it("spells out the fee, says 'each' without 'about' when even, warns when the wallet is short", async () => {
    const config = testConfig({ FEE_BP: "1000" });
    const clock = fixedClock("2026-05-10T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const creator = await m.user();
    const payer = await m.user();
    await setBudget(database.db, clock, config, payer, 1000n);
    await deposit(database.db, config, payer, 400n);
    for (let i = 1; i <= 2; i++) {
      const { thing } = await registerThing(database.db, clock, config, creator, {
        url: `https://two.example/${i}`,
        title: `Two ${i}`,
      });
      await flattr(database.db, clock, config, payer, thing.id);
    }
    const html = await (await (await m.as(payer)).get("/flattrs")).text();
    const text = textOf(html);
    // min(10.00 budget, 4.00 wallet) = 4.00; fee 0.40; 3.60 over 2 = 1.80 each.
    expect(text).toContain("€4.00 − €0.40 instance fee (10%) = €3.60 over 2 flattrs = €1.80 each");
    expect(text).toContain("Your wallet holds only €4.00 of your €10.00 budget");
    expect(values(html)).toEqual(["1.80", "1.80"]);
  });

  it("bad or future periods answer 400 with the page", async () => {
    const config = testConfig();
    const clock = fixedClock("2026-03-15T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const c = await m.as(await m.user());
    for (const p of ["abc", "2026-13", "2026-3", "0000-01", "2026-03-01", "<script>"]) {
      const res = await c.get(`/flattrs?period=${encodeURIComponent(p)}`);
      expect(res.status, p).toBe(400);
      const html = await res.text();
      expect(html).toContain("is not a month");
      expect(html).not.toContain("<script>");
    }
    const future = await c.get("/flattrs?period=2026-04");
    expect(future.status).toBe(400);
    expect(await future.text()).toContain("April 2026 has not started yet.");
    const empty = await c.get("/flattrs?period=2025-01");
    expect(empty.status).toBe(200);
    expect(textOf(await empty.text())).toContain("No flattrs in January 2025.");
    expect((await m.visitor().get("/flattrs")).status).toBe(303);
  });
});
