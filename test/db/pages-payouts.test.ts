import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { balanceOf, checkLedger, walletAccount } from "../../src/ledger/index.ts";
import { myPayouts } from "../../src/settlement/payouts.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";
import { readPain001 } from "../helpers/sepa-xml.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const clock = fixedClock("2026-03-15T12:00:00Z");
const config = testConfig({
  BANK_IBAN: "DE89370400440532013000",
  BANK_ACCOUNT_HOLDER: "Instance",
});

describe("payout pages", () => {
  it("a person withdraws wallet money; an admin approves, downloads the files, marks paid", async () => {
    const m = moneyApp(config, database, clock);
    const db = database.db;
    const pat = await m.user();
    await deposit(db, config, pat, 4000n);
    const c = await m.as(pat);

    const page = textOf(await (await c.get("/payouts")).text());
    expect(page).toContain("Withdrawable €40.00");
    expect(page).toContain("A payout can be requested once your payable earnings reach €10.00");

    let res = await c.submit("/payouts", "/payouts/details", {
      holder: "Pat",
      iban: "DE02 1203 0000 0000 2020 52",
    });
    expect(res.status).toBe(422);
    const refused = await res.text();
    expect(textOf(refused)).toContain("is not a valid IBAN");
    expect(refused).toContain('value="DE02 1203 0000 0000 2020 52"');
    res = await c.submit("/payouts", "/payouts/details", {
      holder: "Pat",
      iban: "DE02 1203 0000 0000 2020 51",
    });
    expect(res.status).toBe(303);

    res = await c.submit("/payouts", "/payouts", { source: "wallet", amount: "12,50" });
    expect(res.status).toBe(422);
    res = await c.submit("/payouts", "/payouts", { source: "wallet", amount: "50.00" });
    expect(res.status).toBe(422);
    expect(textOf(await res.text())).toContain(
      "€50.00 is more than your withdrawable wallet money (€40.00)",
    );
    res = await c.submit("/payouts", "/payouts", { source: "wallet", amount: "12.50" });
    expect(res.status).toBe(303);
    expect(textOf(await (await c.get("/payouts")).text())).toContain("waiting for approval");

    // Not an admin: no admin page.
    expect((await c.get("/admin/payouts")).status).toBe(403);
    const admin = await m.as(await m.user(undefined, { admin: true }));
    const queue = textOf(await (await admin.get("/admin/payouts")).text());
    expect(queue).toContain("Approve all 1 as one batch (€12.50)");
    res = await admin.submit("/admin/payouts", "/admin/payouts/approve", {});
    expect(res.status).toBe(200);
    const approved = textOf(await res.text());
    const batch = /Batch #(\d+): 1 payout\(s\), €12\.50 reserved/.exec(approved)?.[1];
    expect(batch).toBeDefined();
    expect(await balanceOf(db, walletAccount(pat), "EUR")).toBe(2750n);

    const xml = await admin.get(`/admin/payouts/batches/${batch}/sepa.xml`);
    expect(xml.status).toBe(200);
    expect(xml.headers.get("content-disposition")).toContain("payouts-batch-");
    const file = readPain001(await xml.text());
    expect(file).toMatchObject({ count: 1, controlSum: "12.50" });
    expect(file.transfers[0]?.iban).toBe("DE02120300000000202051");
    const csv = await admin.get(`/admin/payouts/batches/${batch}/payouts.csv`);
    expect(await csv.text()).toContain("DE02120300000000202051,,12.50,EUR,approved");
    expect((await c.get(`/admin/payouts/batches/${batch}/sepa.xml`)).status).toBe(403);

    res = await admin.submit("/admin/payouts", `/admin/payouts/batches/${batch}/paid`, {});
    expect(res.status).toBe(303);
    expect((await myPayouts(db, pat)).map((p) => p.status)).toEqual(["paid"]);
    expect(textOf(await (await c.get("/payouts")).text())).toContain("paid");
    expect(textOf(await (await c.get("/wallet")).text())).toContain("Withdrawal #");
    expect(await checkLedger(db)).toEqual([]);
  });
});
