import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database, Db } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import {
  balanceOf,
  checkLedger,
  earningsAccount,
  PAYOUTS,
  PENDING_PAYOUTS,
  walletAccount,
} from "../../src/ledger/index.ts";
import { nextPeriod } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { payableEarnings } from "../../src/settlement/payable.ts";
import { approvePayouts, failPayout, markBatchPaid } from "../../src/settlement/payout-batches.ts";
import { setPayoutDetails } from "../../src/settlement/payout-details.ts";
import { batchCsv, batchSepaXml } from "../../src/settlement/payout-export.ts";
import { cancelPayout, myPayouts, requestPayout } from "../../src/settlement/payouts.ts";
import { withdrawableWallet } from "../../src/settlement/withdrawable.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { readPain001 } from "../helpers/sepa-xml.ts";

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  SETTLEMENT_DAY: "5",
  PAYOUT_MINIMUM: "10.00",
  BANK_IBAN: "DE89 3704 0044 0532 0130 00",
  BANK_ACCOUNT_HOLDER: "Fediflattr Test e.V.",
  BANK_BIC: "COBADEFFXXX",
});
const currency = config.currency;
const IBAN_A = "DE02120300000000202051";
const IBAN_B = "FR1420041010050500013M02606";
const IBAN_P = "NL91ABNA0417164300";

async function expectLedgerSound() {
  expect(await checkLedger(db)).toEqual([]);
}

/** Two creators with a page each; a payer who flattrs both in `period` with €50.00, closed. */
async function month(period: string) {
  const at = fixedClock(`${period}-20T10:00:00Z`);
  const a = await makeUser(db);
  const b = await makeUser(db);
  const payer = await makeUser(db);
  const ta = await registerThing(db, at, config, a, { url: `https://a${a}.example/`, title: "A" });
  const tb = await registerThing(db, at, config, b, { url: `https://b${b}.example/`, title: "B" });
  await deposit(db, config, payer, 10000n);
  await setBudget(db, at, config, payer, 5000n);
  await flattr(db, at, config, payer, ta.thing.id);
  await flattr(db, at, config, payer, tb.thing.id);
  await closePeriod(db, fixedClock(`${nextPeriod(period)}-01T10:00:00Z`), config, period);
  return { a, b, payer };
}

describe("payable earnings", () => {
  it("become payable on the settlement day of the next month, above the minimum", async () => {
    const { a } = await month("2026-01");
    const before = await payableEarnings(db, fixedClock("2026-02-04T22:59:00Z"), config, a);
    expect(before).toMatchObject({
      balance: 2500n,
      payable: 0n,
      notYetPayable: 2500n,
      payableThrough: "2025-12",
      nextPayableOn: "2026-02-05",
      canRequest: false,
    });
    // Midnight of the 5th in Berlin is 23:00 UTC on the 4th.
    const on = await payableEarnings(db, fixedClock("2026-02-04T23:00:00Z"), config, a);
    expect(on).toMatchObject({ payable: 2500n, notYetPayable: 0n, payableThrough: "2026-01" });
    expect(on.canRequest).toBe(true);
    const high = { ...config, payoutMinimum: 2501n };
    expect(
      (await payableEarnings(db, fixedClock("2026-02-10T00:00:00Z"), high, a)).canRequest,
    ).toBe(false);
  });
});

describe("payouts", () => {
  it("requested, approved (reserved at once), exported as SEPA and CSV, paid or failed", async () => {
    const { a, b, payer } = await month("2026-05");
    const clock = fixedClock("2026-06-06T09:00:00Z");

    const noDetails = await requestPayout(db, clock, config, a, { source: "earnings" });
    expect(!noDetails.ok && noDetails.error.code).toBe("no_payout_details");
    const bad = await setPayoutDetails(db, clock, a, {
      holder: "Alice",
      iban: "DE02120300000000202052",
    });
    expect(!bad.ok && bad.error.code).toBe("invalid_iban");
    const badBic = await setPayoutDetails(db, clock, a, {
      holder: "Alice",
      iban: IBAN_A,
      bic: "BNPAFRPP",
    });
    expect(!badBic.ok && badBic.error.code).toBe("invalid_bic");
    expect(
      (
        await setPayoutDetails(db, clock, a, {
          holder: " Alice  A. ",
          iban: "de02 1203 0000 0000 2020 51",
        })
      ).ok,
    ).toBe(true);
    expect(
      (await setPayoutDetails(db, clock, b, { holder: "Bob", iban: IBAN_B, bic: "BNPAFRPPXXX" }))
        .ok,
    ).toBe(true);
    expect((await setPayoutDetails(db, clock, payer, { holder: "Pat", iban: IBAN_P })).ok).toBe(
      true,
    );

    const small = await requestPayout(db, clock, config, a, { source: "earnings", amount: 999n });
    expect(!small.ok && small.error.code).toBe("below_minimum");
    const much = await requestPayout(db, clock, config, a, { source: "earnings", amount: 2501n });
    expect(!much.ok && much.error.code).toBe("not_payable");
    const ra = await requestPayout(db, clock, config, a, { source: "earnings" });
    expect(ra.ok && ra.value).toMatchObject({
      amount: 2500n,
      status: "requested",
      iban: IBAN_A,
      holder: "Alice A.",
    });
    const again = await requestPayout(db, clock, config, a, { source: "earnings" });
    expect(!again.ok && again.error.code).toBe("payout_open");
    const rb = await requestPayout(db, clock, config, b, { source: "earnings", amount: 2000n });
    expect(rb.ok).toBe(true);
    // The payer's wallet: 100.00 − 50.00 spent in January, nothing committed now.
    expect((await withdrawableWallet(db, config, payer)).withdrawable).toBe(5000n);
    const rp = await requestPayout(db, clock, config, payer, { source: "wallet", amount: 1234n });
    expect(rp.ok).toBe(true);
    // Nothing moves before approval.
    expect(await balanceOf(db, earningsAccount(a), currency)).toBe(2500n);
    await expectLedgerSound();

    const ids = [ra, rb, rp].map((r) => (r.ok ? r.value.id : 0));
    const approved = await approvePayouts(db, clock, config, { ids, approvedBy: "admin" });
    if (!approved.ok) throw approved.error;
    expect(approved.value.approved.map((p) => p.id)).toEqual(ids);
    const batchId = approved.value.batchId;
    expect(await balanceOf(db, earningsAccount(a), currency)).toBe(0n);
    expect(await balanceOf(db, earningsAccount(b), currency)).toBe(500n);
    expect(await balanceOf(db, walletAccount(payer), currency)).toBe(5000n - 1234n);
    expect(await balanceOf(db, PENDING_PAYOUTS, currency)).toBeGreaterThanOrEqual(5734n);
    expect((await payableEarnings(db, clock, config, a)).payable).toBe(0n);
    expect((await payableEarnings(db, clock, config, b)).payable).toBe(500n);
    await expectLedgerSound();
    // The same money is never in two batches.
    const twice = await approvePayouts(db, clock, config, { ids, approvedBy: "admin" });
    expect(!twice.ok && twice.error.code).toBe("nothing_to_approve");
    const cancelLate = await cancelPayout(db, clock, a, ids[0]!);
    expect(!cancelLate.ok && cancelLate.error.code).toBe("payout_state");

    const xml = await batchSepaXml(db, config, batchId, clock.now());
    if (!xml.ok) throw xml.error;
    const file = readPain001(xml.value.body);
    expect(file.namespace).toBe("urn:iso:std:iso:20022:tech:xsd:pain.001.001.03");
    expect(file.count).toBe(3);
    expect(file.controlSum).toBe("57.34");
    expect(file.paymentInfos).toEqual([
      {
        count: 3,
        controlSum: "57.34",
        debtorIban: "DE89370400440532013000",
        debtorName: "Fediflattr Test e.V.",
      },
    ]);
    expect(file.transfers).toEqual([
      {
        endToEndId: `FEDIFLATTR-PAYOUT-${ids[0]}`,
        amount: "25.00",
        currency: "EUR",
        name: "Alice A.",
        iban: IBAN_A,
        remittance: `Fediflattr payout ${ids[0]}`,
      },
      {
        endToEndId: `FEDIFLATTR-PAYOUT-${ids[1]}`,
        amount: "20.00",
        currency: "EUR",
        name: "Bob",
        iban: IBAN_B,
        remittance: `Fediflattr payout ${ids[1]}`,
      },
      {
        endToEndId: `FEDIFLATTR-PAYOUT-${ids[2]}`,
        amount: "12.34",
        currency: "EUR",
        name: "Pat",
        iban: IBAN_P,
        remittance: `Fediflattr wallet withdrawal ${ids[2]}`,
      },
    ]);
    const csv = await batchCsv(db, batchId);
    if (!csv.ok) throw csv.error;
    const lines = csv.value.body.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "payout,username,source,holder,iban,bic,amount,currency,status,end_to_end_id,remittance",
    );
    expect(lines.slice(1).map((l) => l.split(",").slice(4, 7))).toEqual([
      [IBAN_A, "", "25.00"],
      [IBAN_B, "BNPAFRPPXXX", "20.00"],
      [IBAN_P, "", "12.34"],
    ]);

    // Bob's transfer bounced: back to his earnings; the rest is paid.
    const failed = await failPayout(db, clock, ids[1]!, "IBAN closed");
    expect(failed.ok && failed.value).toMatchObject({ status: "failed", note: "IBAN closed" });
    expect(await balanceOf(db, earningsAccount(b), currency)).toBe(2500n);
    const paidBefore = await balanceOf(db, PAYOUTS, currency);
    const paid = await markBatchPaid(db, clock, batchId);
    if (!paid.ok) throw paid.error;
    expect(paid.value.paid.map((p) => p.id)).toEqual([ids[0], ids[2]]);
    expect((await balanceOf(db, PAYOUTS, currency)) - paidBefore).toBe(3734n);
    const replay = await markBatchPaid(db, clock, batchId);
    expect(replay.ok && replay.value.paid).toEqual([]);
    const failPaid = await failPayout(db, clock, ids[0]!, "late");
    expect(!failPaid.ok && failPaid.error.code).toBe("payout_state");
    expect((await myPayouts(db, b)).map((p) => p.status)).toEqual(["failed"]);
    // A re-export leaves the failed transfer out.
    const again2 = await batchSepaXml(db, config, batchId, clock.now());
    expect(again2.ok && readPain001(again2.value.body).controlSum).toBe("37.34");
    await expectLedgerSound();
  });

  it("checks again at approval and leaves a request that no longer fits waiting", async () => {
    const { a } = await month("2026-07");
    const clock = fixedClock("2026-08-06T09:00:00Z");
    await setPayoutDetails(db, clock, a, { holder: "Alice", iban: IBAN_A });
    const r = await requestPayout(db, clock, config, a, { source: "earnings" });
    if (!r.ok) throw r.error;
    // An admin could approve only with more payable: a higher minimum does not matter at approval,
    // but a request for more than is payable (a reversal in between) is left waiting.
    const other = await requestPayout(db, clock, config, a, { source: "earnings" });
    expect(!other.ok && other.error.code).toBe("payout_open");
    const cancelled = await cancelPayout(db, clock, a, r.value.id);
    expect(cancelled.ok && cancelled.value.status).toBe("cancelled");
    const none = await approvePayouts(db, clock, config, {
      ids: [r.value.id],
      approvedBy: "admin",
    });
    expect(!none.ok && none.error.code).toBe("nothing_to_approve");
    await expectLedgerSound();
  });

  it("withdraws only wallet money not committed to open months' flattrs", async () => {
    const at = fixedClock("2026-03-10T10:00:00Z");
    const creator = await makeUser(db);
    const payer = await makeUser(db);
    const t = await registerThing(db, at, config, creator, {
      url: `https://w${creator}.example/`,
      title: "W",
    });
    await deposit(db, config, payer, 8000n);
    await setBudget(db, at, config, payer, 3000n);
    expect((await withdrawableWallet(db, config, payer)).withdrawable).toBe(8000n);
    await flattr(db, at, config, payer, t.thing.id);
    expect(await withdrawableWallet(db, config, payer)).toMatchObject({
      balance: 8000n,
      committed: 3000n,
      withdrawable: 5000n,
      committedPeriods: ["2026-03"],
    });
    await setPayoutDetails(db, at, payer, { holder: "Pat", iban: IBAN_P });
    const much = await requestPayout(db, at, config, payer, { source: "wallet", amount: 5001n });
    expect(!much.ok && much.error.code).toBe("not_payable");
    // Below the payout minimum is fine for one's own wallet money.
    const r = await requestPayout(db, at, config, payer, { source: "wallet", amount: 500n });
    if (!r.ok) throw r.error;
    const ok = await approvePayouts(db, at, config, { ids: [r.value.id], approvedBy: "cli" });
    expect(ok.ok).toBe(true);
    expect(await balanceOf(db, walletAccount(payer), currency)).toBe(7500n);
    const failed = await failPayout(db, at, r.value.id, "");
    expect(failed.ok && failed.value.note).toBe("The bank transfer failed.");
    expect(await balanceOf(db, walletAccount(payer), currency)).toBe(8000n);
    await expectLedgerSound();
  });
});
