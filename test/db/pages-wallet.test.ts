import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { walletBalance } from "../../src/flattr/wallet.ts";
import { checkLedger, reverseEntry, transferReference } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ TIME_ZONE: "Europe/Berlin" });

describe("wallet and admin deposits", () => {
  it("transfer reference, deposit by an admin, history with running balance after a close and a reversal", async () => {
    const clock = fixedClock("2026-03-10T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const user = await m.user("walletuser");
    const creator = await m.user();
    const adminId = await m.user("depositadmin", { admin: true });
    const c = await m.as(user);

    const empty = await (await c.get("/wallet")).text();
    const reference = transferReference(user);
    expect(empty).toContain(reference);
    const text = textOf(empty);
    expect(text).toContain("Balance: €0.00");
    expect(text).toContain("ask its administrator for the details");
    expect(text).toContain("Nothing yet");
    // With the instance's bank account configured, the page names it.
    const banked = moneyApp(
      testConfig({ BANK_ACCOUNT_HOLDER: "Flattr e.V.", BANK_IBAN: "DE89370400440532013000" }),
      database,
      clock,
    );
    const bankText = textOf(await (await (await banked.as(user)).get("/wallet")).text());
    expect(bankText).toContain("Flattr e.V., IBAN DE89 3704 0044 0532 0130 00");

    const admin = await m.as(adminId);
    const recorded = await admin.submit("/admin/deposits", "/admin/deposits", {
      who: reference.toLowerCase().replace(/-/g, " "),
      amount: "10",
      bankReference: "sepa 0001",
    });
    expect(recorded.status).toBe(303);
    const back = await admin.get(recorded.headers.get("location")!);
    const adminText = textOf(await back.text());
    expect(adminText).toContain("Recorded €10.00 to @walletuser.");
    expect(adminText).toContain("@walletuser SEPA 0001 €10.00");
    expect(await walletBalance(database.db, config, user)).toBe(1000n);

    // By username too, and a second transfer.
    const second = await admin.submit("/admin/deposits", "/admin/deposits", {
      who: "@WalletUser",
      amount: "2.50",
      bankReference: "SEPA-0002",
    });
    expect(second.status).toBe(303);

    await setBudget(database.db, clock, config, user, 500n);
    const { thing } = await registerThing(database.db, clock, config, creator, {
      url: "https://w.example/",
      title: "W",
    });
    await flattr(database.db, clock, config, user, thing.id);
    clock.set("2026-04-01T06:00:00Z");
    await closePeriod(database.db, clock, config, "2026-03");
    const c2 = await m.as(user);
    const after = await (await c2.get("/wallet")).text();
    const rows = [
      ...after.matchAll(/<tr data-entry-id="(\d+)" data-kind="(\w+)">([\s\S]*?)<\/tr>/g),
    ].map((r) => textOf(r[3]!));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/Flattrs of March 2026 -€5\.00 €7\.50$/);
    expect(rows[1]).toMatch(/Deposit, reference SEPA-0002 €2\.50 €12\.50$/);
    expect(rows[2]).toMatch(/Deposit, reference SEPA 0001 €10\.00 €10\.00$/);
    expect(after).toContain('href="/statements/2026-03"');
    expect(textOf(after)).toContain("Balance: €7.50");
    expect(textOf(after)).toContain("Monthly budget: €5.00");

    // An admin's correction shows as a reversal.
    const depositId = Number(/data-entry-id="(\d+)" data-kind="deposit"/.exec(after)![1]);
    await reverseEntry(database.db, depositId, `reverse:${depositId}`);
    const reversed = textOf(await (await c2.get("/wallet")).text());
    expect(reversed).toContain("Reversal: deposit -€2.50 €5.00");
    expect(await checkLedger(database.db)).toEqual([]);

    // Paging.
    const page = await c2.get(`/wallet?before=${depositId}`);
    expect(page.status).toBe(200);
    for (const bad of ["abc", "0", "-1", "1.5"]) {
      const res = await c2.get(`/wallet?before=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await res.text()).toContain("does not exist");
    }
  });

  it("deposits: idempotent by bank reference, conflicts and bad input are 4xx with the page", async () => {
    const clock = fixedClock("2026-05-10T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const user = await m.user("depositee");
    const admin = await m.as(await m.user(undefined, { admin: true }));
    const post = (fields: Record<string, string>) =>
      admin.submit("/admin/deposits", "/admin/deposits", fields);

    expect((await post({ who: "depositee", amount: "5.00", bankReference: "TX-1" })).status).toBe(
      303,
    );
    const replay = await post({ who: "depositee", amount: "5.00", bankReference: " tx-1 " });
    expect(replay.status).toBe(200);
    expect(textOf(await replay.text())).toContain(
      "Already recorded: €5.00 to @depositee with bank reference TX-1. Nothing changed.",
    );
    const conflict = await post({ who: "depositee", amount: "6.00", bankReference: "TX-1" });
    expect(conflict.status).toBe(409);
    expect(textOf(await conflict.text())).toContain(
      "The bank reference TX-1 was already recorded for €5.00 to @depositee",
    );
    expect(await walletBalance(database.db, config, user)).toBe(500n);

    const mistyped = transferReference(user).replace(/.$/, (ch) => (ch === "0" ? "1" : "0"));
    for (const [fields, message] of [
      [{ who: "depositee", amount: "abc", bankReference: "TX-2" }, "is not an amount in EUR"],
      [{ who: "depositee", amount: "0", bankReference: "TX-2" }, "is not an amount in EUR"],
      [{ who: "depositee", amount: "-5", bankReference: "TX-2" }, "is not an amount in EUR"],
      [{ who: "depositee", amount: "1.234", bankReference: "TX-2" }, "is not an amount in EUR"],
      [{ who: "depositee", amount: "5", bankReference: "" }, "The bank reference is required."],
      [{ who: "depositee", amount: "5", bankReference: "x".repeat(141) }, "longer than 140"],
      [{ who: "nobody_here", amount: "5", bankReference: "TX-2" }, "There is no user"],
      [{ who: mistyped, amount: "5", bankReference: "TX-2" }, "There is no user"],
      [{ who: "", amount: "5", bankReference: "TX-2" }, "There is no user"],
      [
        { who: "depositee", amount: "5", bankReference: transferReference(user) },
        "personal transfer reference",
      ],
    ] as const) {
      const res = await post(fields);
      expect(res.status, JSON.stringify(fields)).toBe(422);
      const html = await res.text();
      expect(textOf(html)).toContain(message);
      expect(html).toContain('name="bankReference"');
    }
    expect(await walletBalance(database.db, config, user)).toBe(500n);
  });

  it("deposits: references compare without case, spaces and dashes; large amounts need the box", async () => {
    const capped = testConfig({ TIME_ZONE: "Europe/Berlin", DEPOSIT_CONFIRM_ABOVE: "100.00" });
    const clock = fixedClock("2026-05-10T12:00:00Z");
    const m = moneyApp(capped, database, clock);
    const user = await m.user("bigdepositee");
    const admin = await m.as(await m.user(undefined, { admin: true }));
    const post = (fields: Record<string, string>) =>
      admin.submit("/admin/deposits", "/admin/deposits", fields);
    const form = await (await admin.get("/admin/deposits")).text();
    expect(form).toContain('name="confirmLarge"');
    expect(textOf(form)).toContain("The amount is right, even though it is above €100.00");

    const big = { who: transferReference(user), amount: "150.00", bankReference: "WEB-BIG-1" };
    const unconfirmed = await post(big);
    expect(unconfirmed.status).toBe(422);
    const html = await unconfirmed.text();
    expect(textOf(html)).toContain(
      "€150.00 is more than €100.00, above which a deposit must be confirmed",
    );
    expect(html).toContain('value="WEB-BIG-1"'); // the form is refilled, the box is not ticked
    expect(html).not.toMatch(/name="confirmLarge"[^>]*checked/);
    expect(await walletBalance(database.db, capped, user)).toBe(0n);

    const confirmed = await post({ ...big, confirmLarge: "1" });
    expect(confirmed.status).toBe(303);
    // The same transfer typed another way is a replay, under any spelling, box or not.
    const replay = await post({ ...big, who: "bigdepositee", bankReference: "web - big - 1" });
    expect(replay.status).toBe(200);
    expect(textOf(await replay.text())).toContain(
      "Already recorded: €150.00 to @bigdepositee with bank reference WEB-BIG-1. Nothing changed.",
    );
    const conflict = await post({ ...big, amount: "15.00", bankReference: "Web Big 1" });
    expect(conflict.status).toBe(409);
    expect(textOf(await conflict.text())).toContain(
      "The bank reference WEB BIG 1 is the same as WEB-BIG-1 (case, spaces and dashes do not count), which was already recorded for €150.00 to @bigdepositee",
    );
    expect(await walletBalance(database.db, capped, user)).toBe(15000n);
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it("only admins; forms need the CSRF token", async () => {
    const clock = fixedClock("2026-05-10T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const user = await m.user();
    const c = await m.as(user);
    const res = await c.get("/admin/deposits");
    expect(res.status).toBe(403);
    const post = await c.submit("/wallet", "/admin/deposits", {
      who: String(user),
      amount: "100",
      bankReference: "SELF-1",
    });
    expect(post.status).toBe(403);
    expect((await m.visitor().get("/admin/deposits")).status).toBe(303);
    expect((await m.visitor().get("/wallet")).status).toBe(303);

    const admin = await m.as(await m.user(undefined, { admin: true }));
    expect(await (await admin.get("/wallet")).text()).toContain('href="/admin/deposits"');
    const noToken = await admin.post("/admin/deposits", {
      who: String(user),
      amount: "100",
      bankReference: "NOTOKEN-1",
    });
    expect(noToken.status).toBe(403);
    expect(await walletBalance(database.db, config, user)).toBe(0n);
  });
});
