import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import {
  balanceOf,
  checkLedger,
  DEPOSITS,
  DepositError,
  IdempotencyConflictError,
  recordDeposit,
  transferReference,
  walletAccount,
} from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  expect(await checkLedger(database.db)).toEqual([]);
  await database?.close();
});

const EUR = "EUR";
const wallet = (u: number) => balanceOf(database.db, walletAccount(u), EUR);

describe("recordDeposit", () => {
  it("credits the wallet once per bank reference", async () => {
    const a = await recordDeposit(database.db, {
      userId: 1,
      amount: 2500n,
      reference: "TX-0001",
      currency: EUR,
    });
    expect(a.replayed).toBe(false);
    // Retyped differently by an admin: still the same payment.
    const b = await recordDeposit(database.db, {
      userId: 1,
      amount: 2500n,
      reference: "  tx-0001 ",
      currency: EUR,
    });
    expect(b).toEqual({ entryId: a.entryId, replayed: true });
    expect(await wallet(1)).toBe(2500n);
    expect(await balanceOf(database.db, DEPOSITS, EUR)).toBe(-2500n);
    // A second payment of the same user has its own reference.
    await recordDeposit(database.db, {
      userId: 1,
      amount: 500n,
      reference: "TX-0002",
      currency: EUR,
    });
    expect(await wallet(1)).toBe(3000n);
  });

  it("refuses the same reference for another user or amount", async () => {
    await expect(
      recordDeposit(database.db, { userId: 2, amount: 2500n, reference: "TX-0001", currency: EUR }),
    ).rejects.toThrow(IdempotencyConflictError);
    await expect(
      recordDeposit(database.db, { userId: 1, amount: 2499n, reference: "TX-0001", currency: EUR }),
    ).rejects.toThrow(IdempotencyConflictError);
    expect(await wallet(2)).toBe(0n);
    expect(await wallet(1)).toBe(3000n);
  });

  it("refuses bad amounts and references", async () => {
    const bad = (amount: bigint, reference: string) =>
      recordDeposit(database.db, { userId: 3, amount, reference, currency: EUR });
    await expect(bad(0n, "TX-9")).rejects.toThrow(DepositError);
    await expect(bad(-5n, "TX-9")).rejects.toThrow(DepositError);
    await expect(bad(5n, "  ")).rejects.toThrow(/required/);
    await expect(bad(5n, "ab")).rejects.toThrow(/3–140/);
    await expect(bad(5n, " - -- ")).rejects.toThrow(/not only spaces and dashes/);
    await expect(bad(5n, "TX\u0000")).rejects.toThrow(/printable/);
    // The user's personal reference is on every transfer of theirs: not a payment's reference.
    await expect(bad(5n, transferReference(3))).rejects.toThrow(/personal transfer reference/);
    expect(await wallet(3)).toBe(0n);
  });
});
