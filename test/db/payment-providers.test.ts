// Payment providers (src/settlement/providers/): the wallet page shows what each provider's
// startTopUp says, and the deposit door credits a received bank transfer as the bank-transfer
// provider's payment. creditPayment keeps two providers' references apart.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import {
  BANK_SOURCE,
  balanceOf,
  checkLedger,
  transferReference,
  walletAccount,
} from "../../src/ledger/index.ts";
import { recordBankDeposit } from "../../src/settlement/deposits.ts";
import { bankTransferProvider } from "../../src/settlement/providers/bank-transfer.ts";
import { creditPayment } from "../../src/settlement/providers/credit.ts";
import { paymentProviders } from "../../src/settlement/providers/index.ts";
import { recentDeposits } from "../../src/settlement/recent-deposits.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  expect(await checkLedger(database.db)).toEqual([]);
  await database?.close();
});

const EUR = "EUR";
const banked = testConfig({
  BANK_ACCOUNT_HOLDER: "Flattr e.V.",
  BANK_IBAN: "DE89370400440532013000",
});
const unbanked = testConfig({});
const wallet = (u: number) => balanceOf(database.db, walletAccount(u), EUR);
const sourceOf = async (entryId: number) =>
  (
    await queryRows<{ source: string }>(
      database.db,
      sql`select metadata->>'source' as source from ledger_entries where id = ${entryId}`,
    )
  )[0]?.source;

describe("the bank-transfer provider", () => {
  it("is the instance's way to top up, with the personal reference and the configured account", async () => {
    expect(paymentProviders(banked).map((p) => [p.id, p.name])).toEqual([
      [BANK_SOURCE, "Bank transfer"],
    ]);
    const request = { userId: 5, amount: null, currency: EUR };
    expect(await bankTransferProvider(banked.bank).startTopUp(request)).toEqual({
      kind: "transfer",
      reference: transferReference(5),
      payTo: "Flattr e.V., IBAN DE89 3704 0044 0532 0130 00",
    });
    expect((await bankTransferProvider(unbanked.bank).startTopUp(request)).payTo).toBeNull();
  });

  it("is what the wallet page shows", async () => {
    const clock = fixedClock("2026-03-10T12:00:00Z");
    for (const config of [banked, unbanked]) {
      const m = moneyApp(config, database, clock);
      const user = await m.user();
      const page = await (await (await m.as(user)).get("/wallet")).text();
      const box = textOf(/<div class="transfer"[\s\S]*?<\/div>/.exec(page)![0]);
      const start = await paymentProviders(config)[0]!.startTopUp({
        userId: user,
        amount: null,
        currency: EUR,
      });
      expect(box).toContain(start.reference);
      if (start.payTo) expect(box).toContain(`Transfer any amount to ${start.payTo} with`);
      else expect(box).toContain("ask its administrator for the details");
    }
  });

  it("is what the deposit door credits a received transfer as", async () => {
    const m = moneyApp(banked, database, fixedClock("2026-03-10T12:00:00Z"));
    const user = await m.user("providerpayee");
    const recorded = await recordBankDeposit(database.db, banked, {
      payee: transferReference(user),
      amount: 1234n,
      reference: "sepa-77",
    });
    if (!recorded.ok) throw recorded.error;
    expect(await sourceOf(recorded.value.entryId)).toBe(bankTransferProvider(banked.bank).id);
    const listed = (await recentDeposits(database.db, banked)).find(
      (d) => d.entryId === recorded.value.entryId,
    );
    expect(listed).toMatchObject({ source: BANK_SOURCE, reference: "SEPA-77", amount: 1234n });
    expect(await wallet(user)).toBe(1234n);
    // The bank provider's references are compared as people type them: another spelling of the
    // same transfer is the same payment.
    const again = await creditPayment(database.db, {
      provider: BANK_SOURCE,
      reference: "SEPA 77",
      userId: user,
      amount: 1234n,
      currency: EUR,
    });
    expect(again).toEqual({ entryId: recorded.value.entryId, replayed: true });
  });
});

describe("creditPayment", () => {
  it("credits confirmed payments through the ledger, once, namespaced by provider", async () => {
    const m = moneyApp(banked, database, fixedClock("2026-03-10T12:00:00Z"));
    const user = await m.user();
    const payment = {
      provider: "card",
      reference: "pi_AbC",
      userId: user,
      amount: 1000n,
      currency: EUR,
    };
    const first = await creditPayment(database.db, payment);
    expect(first.replayed).toBe(false);
    expect(await sourceOf(first.entryId)).toBe("card");
    expect((await creditPayment(database.db, payment)).replayed).toBe(true);
    // Another provider's ids are case-sensitive: another payment.
    expect((await creditPayment(database.db, { ...payment, reference: "pi_abc" })).replayed).toBe(
      false,
    );
    // A bank payment with a look-alike reference does not collide with the card one.
    await creditPayment(database.db, { ...payment, provider: BANK_SOURCE, reference: "pi_AbC" });
    expect(await wallet(user)).toBe(3000n);
  });
});
