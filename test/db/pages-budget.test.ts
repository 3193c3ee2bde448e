import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { getBudget } from "../../src/flattr/budget.ts";
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

const clock = fixedClock("2026-03-15T12:00:00Z");

describe("budget page", () => {
  it("shows the fee before the user commits, saves a budget, warns above the balance", async () => {
    const config = testConfig({ FEE_BP: "1000", MIN_BUDGET: "2.00", MAX_BUDGET: "100.00" });
    const m = moneyApp(config, database, clock);
    const user = await m.user();
    const c = await m.as(user);

    const first = textOf(await (await c.get("/budget")).text());
    expect(first).toContain("Your budget: not set");
    expect(first).toContain("The instance keeps 10% of what you give");
    expect(first).toContain("Between €2.00 and €100.00");
    expect(first).toContain("Unspent budget stays in your wallet");

    const saved = await c.submit("/budget", "/budget", { amount: "5" });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/budget?saved");
    expect((await getBudget(database.db, config, user))?.amount).toBe(500n);

    const page = await (await c.get("/budget?saved")).text();
    expect(page).toContain('data-testid="budget-warning"');
    const text = textOf(page);
    expect(text).toContain("Your budget was saved.");
    expect(text).toContain("Your budget: €5.00 a month");
    expect(text).toContain("Your budget is above your wallet balance");
    expect(page).toContain('value="5.00"');

    await deposit(database.db, config, user, 500n);
    const funded = await (await c.get("/budget")).text();
    expect(funded).not.toContain('data-testid="budget-warning"');
    expect(textOf(funded)).toContain("Wallet balance: €5.00");
  });

  it("shows fractional fees exactly and no fee when there is none", async () => {
    for (const [bp, text] of [
      ["250", "The instance keeps 2.5% of what you give"],
      ["5", "The instance keeps 0.05% of what you give"],
      ["0", "This instance keeps no fee"],
    ] as const) {
      const m = moneyApp(testConfig({ FEE_BP: bp }), database, clock);
      const c = await m.as(await m.user());
      expect(textOf(await (await c.get("/budget")).text())).toContain(text);
    }
  });

  it("bad amounts answer 422 with the page and a message, and change nothing", async () => {
    const config = testConfig({ MIN_BUDGET: "2.00", MAX_BUDGET: "100.00" });
    const m = moneyApp(config, database, clock);
    const user = await m.user();
    const c = await m.as(user);
    for (const [amount, message] of [
      ["abc", "is not an amount in EUR"],
      ["5,00", "is not an amount in EUR"],
      ["1.234", "is not an amount in EUR"],
      ["-5", "is not an amount in EUR"],
      ["1e3", "is not an amount in EUR"],
      ["", "Enter how much your flattrs may share each month, for example 2.00."],
      ["1.99", "must be at least €2.00"],
      ["100.01", "can be at most €100.00"],
      ["999999999999999", "can be at most €100.00"],
    ] as const) {
      const res = await c.submit("/budget", "/budget", { amount });
      expect(res.status, amount).toBe(422);
      const html = await res.text();
      expect(textOf(html)).toContain(message);
      expect(html).toContain('name="amount"');
    }
    expect(await getBudget(database.db, config, user)).toBeNull();
    const echoed = await c.submit("/budget", "/budget", { amount: "<b>x</b>" });
    expect(await echoed.text()).not.toContain("<b>x</b>");
  });

  it("needs a login and the CSRF token", async () => {
    const config = testConfig();
    const m = moneyApp(config, database, clock);
    expect((await m.visitor().get("/budget")).status).toBe(303);
    const user = await m.user();
    const c = await m.as(user);
    expect((await c.post("/budget", { amount: "5" })).status).toBe(403);
    expect(await getBudget(database.db, config, user)).toBeNull();
  });
});
