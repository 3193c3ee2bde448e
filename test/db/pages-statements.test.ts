// Statements tell the truth (issue 12 point 6): months before the account are empty, a future
// month is refused with the same status and words on the page and in the API, deposits carry
// their bank reference in the CSV as on the wallet page; and the statements index.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { recordDeposit } from "../../src/ledger/index.ts";
import { makeApp, tokenFor } from "../api/support.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

it("months before the account are empty; future months refused alike; CSV names the bank reference", async () => {
  const config = testConfig({ ORIGIN: "https://st.example" });
  const clock = fixedClock("2026-12-10T12:00:00Z");
  const m = moneyApp(config, database, clock);
  const user = await m.user("stella");
  await database.db.execute(
    sql`update users set created_at = '2026-10-15T10:00:00Z' where id = ${user}`,
  );
  await setBudget(database.db, clock, config, user, 700n);
  await recordDeposit(database.db, {
    userId: user,
    amount: 1500n,
    reference: "FF-BANK-4711",
    currency: config.currency,
  });
  const c = await m.as(user);

  const before = await (await c.get("/statements/2026-09")).text();
  expect(before).toContain('data-testid="before-account"');
  expect(textOf(before)).toContain("Your account did not exist yet in September 2026");
  expect(textOf(before)).not.toContain("€7.00");
  const csvBefore = await (await c.get("/statements/2026-09.csv")).text();
  expect(csvBefore).toContain("2026-09,payer,budget,,,,,,,,EUR");
  expect(csvBefore).not.toContain("7.00");

  const page = await c.get("/statements/2027-01");
  const { as } = makeApp(database, config, clock);
  const api = await as(await tokenFor(database.db, clock, user)).get(
    "/me/statement?period=2027-01",
  );
  expect(page.status).toBe(400);
  expect(api.status).toBe(page.status);
  const body = (await api.json()) as { error: string; code: string };
  expect(body).toEqual({ error: "January 2027 has not started yet.", code: "invalid_period" });
  expect(textOf(await page.text())).toContain("January 2027 has not started yet.");

  const csv = await (await c.get("/statements/2026-12.csv")).text();
  expect(csv).toMatch(/2026-12,payer,deposit,[^,]+,"?entry \d+, reference FF-BANK-4711"?,/);
  const wallet = textOf(await (await c.get("/wallet")).text());
  expect(wallet).toContain("Deposit, reference FF-BANK-4711");

  const index = await (await c.get("/statements")).text();
  const months = [...index.matchAll(/data-period="([\d-]+)"/g)].map((x) => x[1]);
  expect(months).toEqual(["2026-12", "2026-11", "2026-10"]);
});
