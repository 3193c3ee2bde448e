// recordBankDeposit (src/settlement/deposits.ts): the one door of the admin page and the CLI.
// References are compared without case, spaces and dashes, also against deposits recorded before
// that rule (their ledger keys hold the reference as typed then), and amounts above the sanity
// cap need a confirmation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import {
  balanceOf,
  checkLedger,
  DEPOSITS,
  postEntry,
  transferReference,
  walletAccount,
} from "../../src/ledger/index.ts";
import { recordBankDeposit } from "../../src/settlement/deposits.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  expect(await checkLedger(database.db)).toEqual([]);
  await database?.close();
});

const config = testConfig({ CURRENCY: "EUR", DEPOSIT_CONFIRM_ABOVE: "500.00" });
const wallet = (u: number) => balanceOf(database.db, walletAccount(u), "EUR");
const record = (payee: string, amount: bigint, reference: string, confirmLarge = false) =>
  recordBankDeposit(database.db, config, { payee, amount, reference, confirmLarge });
let seq = 0;
const named = async () => {
  const name = `dep${++seq}_${Math.random().toString(36).slice(2, 7)}`;
  return { name, id: await makeUser(database.db, name) };
};

/** A bank deposit posted the way the code before normalised comparison did: key as typed. */
async function legacyDeposit(userId: number, amount: bigint, reference: string) {
  return postEntry(database.db, {
    idempotencyKey: `deposit:${reference}`,
    kind: "deposit",
    metadata: { reference, source: "bank" },
    postings: [
      { account: DEPOSITS, currency: "EUR", amount: -amount },
      { account: walletAccount(userId), currency: "EUR", amount },
    ],
  });
}

describe("recordBankDeposit", () => {
  it("credits the user named by username or by transfer reference, once", async () => {
    const u = await named();
    const first = await record(`@${u.name.toUpperCase()}`, 1000n, "BANK-A-1");
    expect(first).toMatchObject({
      ok: true,
      value: {
        replayed: false,
        user: { id: u.id, username: u.name },
        amount: 1000n,
        currency: "EUR",
        reference: "BANK-A-1",
        walletBalance: 1000n,
      },
    });
    const byReference = await record(transferReference(u.id).toLowerCase(), 250n, "BANK-A-2");
    expect(byReference).toMatchObject({ ok: true, value: { walletBalance: 1250n } });
    expect(await wallet(u.id)).toBe(1250n);
  });

  it("one transfer under two spellings is credited once: a replay answers the original", async () => {
    const u = await named();
    const first = await record(u.name, 500n, "WEB-DUP-1");
    if (!first.ok) throw first.error;
    for (const spelling of ["WEB - DUP - 1", "web dup 1", "webdup1", " Web–Dup—1 "]) {
      const again = await record(u.name, 500n, spelling);
      expect(again, spelling).toMatchObject({
        ok: true,
        value: { entryId: first.value.entryId, replayed: true, reference: "WEB-DUP-1" },
      });
    }
    expect(await wallet(u.id)).toBe(500n);
  });

  it("the same reference for another user or amount is a conflict naming the first recording", async () => {
    const u = await named();
    const other = await named();
    const first = await record(u.name, 700n, "CONF-9");
    if (!first.ok) throw first.error;
    const amount = await record(u.name, 701n, "CONF-9");
    expect(amount).toMatchObject({ ok: false, error: { code: "reference_conflict" } });
    expect(!amount.ok && amount.error.message).toBe(
      `The bank reference CONF-9 was already recorded for €7.00 to @${u.name} (entry #${first.value.entryId}). ` +
        "Nothing was recorded: if that was a mistake, reverse that entry; if this is another " +
        "payment, use its own reference.",
    );
    const spelled = await record(other.name, 700n, "conf 9");
    expect(spelled).toMatchObject({ ok: false, error: { code: "reference_conflict" } });
    expect(!spelled.ok && spelled.error.message).toContain(
      `The bank reference CONF 9 is the same as CONF-9 (case, spaces and dashes do not count), which was already recorded for €7.00 to @${u.name}`,
    );
    expect(await wallet(u.id)).toBe(700n);
    expect(await wallet(other.id)).toBe(0n);
  });

  it("finds deposits recorded before references were normalised (legacy keys as typed)", async () => {
    const u = await named();
    const other = await named();
    const legacy = await legacyDeposit(u.id, 300n, "WEB - OLD - 1");
    // The same payment in another spelling: a replay of the legacy entry, nothing posted.
    for (const spelling of ["WEB-OLD-1", "web old 1", "WEB - OLD - 1"]) {
      expect(await record(u.name, 300n, spelling), spelling).toMatchObject({
        ok: true,
        value: { entryId: legacy.entryId, replayed: true, reference: "WEB - OLD - 1" },
      });
    }
    // Anything else under that reference is a conflict the admin sees, for any spelling.
    const conflicts = [
      await record(u.name, 301n, "WEB-OLD-1"),
      await record(other.name, 300n, "weboLD1"),
      await record(u.name, 301n, "WEB - OLD - 1"),
    ];
    for (const r of conflicts) {
      expect(r).toMatchObject({ ok: false, error: { code: "reference_conflict" } });
      expect(!r.ok && r.error.message).toContain(
        `already recorded for €3.00 to @${u.name} (entry #${legacy.entryId})`,
      );
    }
    expect(await wallet(u.id)).toBe(300n);
    expect(await wallet(other.id)).toBe(0n);
  });

  it.runIf(usingPostgres)("two spellings racing each other credit once", async () => {
    const u = await named();
    const spellings = ["RACE-1", "race 1", "R A C E 1", "race-1", "RACE1", "Race - 1"];
    const results = await Promise.all(spellings.map((s) => record(u.name, 400n, s)));
    expect(results.every((r) => r.ok)).toBe(true);
    const entries = new Set(results.map((r) => (r.ok ? r.value.entryId : 0)));
    expect(entries.size).toBe(1);
    expect(results.filter((r) => r.ok && !r.value.replayed)).toHaveLength(1);
    expect(await wallet(u.id)).toBe(400n);
  });

  it("an amount above the cap needs a confirmation; nothing is written without one", async () => {
    const u = await named();
    const refused = await record(u.name, 50001n, "BIG-1");
    expect(refused).toMatchObject({ ok: false, error: { code: "confirmation_required" } });
    expect(!refused.ok && refused.error.message).toBe(
      "€500.01 is more than €500.00, above which a deposit must be confirmed: check the amount " +
        "on the bank statement and confirm it. Nothing was recorded.",
    );
    expect(await wallet(u.id)).toBe(0n);
    // At the cap: no confirmation needed.
    expect(await record(u.name, 50000n, "BIG-2")).toMatchObject({ ok: true });
    expect(await record(u.name, 50001n, "BIG-1", true)).toMatchObject({
      ok: true,
      value: { replayed: false },
    });
    expect(await wallet(u.id)).toBe(100001n);
  });

  it("refuses bad input with a code and a message, writing nothing", async () => {
    const u = await named();
    const mistyped = transferReference(u.id).replace(/.$/, (ch) => (ch === "0" ? "1" : "0"));
    const cases: [string, bigint, string, string, string][] = [
      [u.name, 0n, "TX-1", "invalid_amount", "positive amount"],
      [u.name, -5n, "TX-1", "invalid_amount", "positive amount"],
      [u.name, 5n, "", "invalid_reference", "The bank reference is required."],
      [u.name, 5n, "x".repeat(141), "invalid_reference", "longer than 140"],
      [u.name, 5n, "TX\u0000", "invalid_reference", "printable"],
      [u.name, 5n, "- -", "invalid_reference", "not only spaces and dashes"],
      [u.name, 5n, transferReference(u.id), "personal_reference", "personal transfer reference"],
      [
        "nobody_here",
        5n,
        "TX-1",
        "payee_not_found",
        'There is no user with the username or transfer reference "nobody_here"',
      ],
      [mistyped, 5n, "TX-1", "payee_not_found", "There is no user"],
      ["", 5n, "TX-1", "payee_not_found", "There is no user"],
      ["bad\u0000name", 5n, "TX-1", "payee_not_found", "There is no user"],
    ];
    for (const [payee, amount, reference, code, message] of cases) {
      const r = await record(payee, amount, reference);
      expect(r, `${payee} ${amount} ${reference}`).toMatchObject({ ok: false, error: { code } });
      expect(!r.ok && r.error.message).toContain(message);
    }
    expect(await wallet(u.id)).toBe(0n);
  });
});
