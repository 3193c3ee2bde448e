import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client.ts";
import {
  AlreadyReversedError,
  accountSql,
  accountUserId,
  accountUserIdSql,
  balanceOf,
  checkLedger,
  clearingAccount,
  creatorAccountSql,
  DEPOSITS,
  EntryNotFoundError,
  earningsAccount,
  earningsAccountSql,
  FEES,
  IdempotencyConflictError,
  InsufficientFundsError,
  InvalidEntryError,
  isWalletAccountSql,
  mayGoNegative,
  mayGoNegativeSql,
  PAYOUTS,
  PLEDGES,
  postEntry,
  reverseEntry,
  walletAccount,
  walletAccountSql,
} from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const EUR = "EUR";
const deposit = (key: string, user: number, amount: bigint) =>
  postEntry(database.db, {
    idempotencyKey: key,
    kind: "deposit",
    postings: [
      { account: DEPOSITS, currency: EUR, amount: -amount },
      { account: walletAccount(user), currency: EUR, amount },
    ],
  });

async function counts() {
  const [row] = await queryRows<{ e: string; p: string }>(
    database.db,
    sql`select (select count(*) from ledger_entries)::text as e, (select count(*) from ledger_postings)::text as p`,
  );
  return { entries: Number(row!.e), postings: Number(row!.p) };
}

async function expectLedgerOk() {
  expect(await checkLedger(database.db)).toEqual([]);
}

describe("postEntry", () => {
  it("posts a balanced entry and keeps balances", async () => {
    const r = await deposit("t1:dep", 1, 500n);
    expect(r.replayed).toBe(false);
    expect(await balanceOf(database.db, walletAccount(1), EUR)).toBe(500n);
    expect(await balanceOf(database.db, walletAccount(999), EUR)).toBe(0n);
    await expectLedgerOk();
  });

  it("replays the same key with the same payload", async () => {
    const a = await deposit("t2:dep", 2, 300n);
    const before = await counts();
    const b = await deposit("t2:dep", 2, 300n);
    expect(b).toEqual({ entryId: a.entryId, replayed: true });
    expect(await counts()).toEqual(before);
    expect(await balanceOf(database.db, walletAccount(2), EUR)).toBe(300n);
  });

  it("treats posting order and metadata key order as the same payload", async () => {
    const base = {
      idempotencyKey: "t3:order",
      kind: "transfer",
      metadata: { a: 1, b: { c: 2, d: 3 } },
    };
    await deposit("t3:dep", 3, 100n);
    const a = await postEntry(database.db, {
      ...base,
      postings: [
        { account: walletAccount(3), currency: EUR, amount: -40n },
        { account: FEES, currency: EUR, amount: 40n },
      ],
    });
    const b = await postEntry(database.db, {
      ...base,
      metadata: { b: { d: 3, c: 2 }, a: 1 },
      postings: [
        { account: FEES, currency: EUR, amount: 40n },
        { account: walletAccount(3), currency: EUR, amount: -40n },
      ],
    });
    expect(b).toEqual({ entryId: a.entryId, replayed: true });
  });

  it("refuses the same key with a different payload", async () => {
    const a = await deposit("t4:dep", 4, 100n);
    await expect(deposit("t4:dep", 4, 101n)).rejects.toThrow(IdempotencyConflictError);
    await expect(deposit("t4:dep", 5, 100n)).rejects.toMatchObject({
      existingEntryId: a.entryId,
    });
    expect(await balanceOf(database.db, walletAccount(4), EUR)).toBe(100n);
    expect(await balanceOf(database.db, walletAccount(5), EUR)).toBe(0n);
  });

  it("refuses malformed entries before touching the database", async () => {
    const before = await counts();
    const bad = (postings: { account: string; currency: string; amount: bigint }[]) =>
      postEntry(database.db, { idempotencyKey: "t5:bad", kind: "transfer", postings });
    await expect(bad([])).rejects.toThrow(InvalidEntryError);
    await expect(bad([{ account: FEES, currency: EUR, amount: 1n }])).rejects.toThrow(
      InvalidEntryError,
    );
    await expect(
      bad([
        { account: FEES, currency: EUR, amount: 2n },
        { account: DEPOSITS, currency: EUR, amount: -1n },
      ]),
    ).rejects.toThrow(/does not balance/);
    await expect(
      bad([
        { account: FEES, currency: EUR, amount: 0n },
        { account: DEPOSITS, currency: EUR, amount: 0n },
      ]),
    ).rejects.toThrow(/non-zero/);
    await expect(
      bad([
        { account: FEES, currency: EUR, amount: 1n },
        { account: DEPOSITS, currency: "USD", amount: -1n },
      ]),
    ).rejects.toThrow(/does not balance in EUR/);
    await expect(
      bad([
        { account: "wallet:bob", currency: EUR, amount: 1n },
        { account: DEPOSITS, currency: EUR, amount: -1n },
      ]),
    ).rejects.toThrow(/bad account/);
    await expect(
      bad([
        { account: FEES, currency: "XYZ", amount: 1n },
        { account: DEPOSITS, currency: "XYZ", amount: -1n },
      ]),
    ).rejects.toThrow(/bad currency/);
    await expect(
      postEntry(database.db, {
        idempotencyKey: "t5:bad",
        kind: "transfer",
        period: "2026-13",
        postings: [
          { account: FEES, currency: EUR, amount: 1n },
          { account: DEPOSITS, currency: EUR, amount: -1n },
        ],
      }),
    ).rejects.toThrow(/bad period/);
    expect(await counts()).toEqual(before);
  });

  it("refuses an overdraft and leaves nothing behind", async () => {
    await deposit("t6:dep", 6, 100n);
    const before = await counts();
    const withdraw = (key: string, amount: bigint) =>
      postEntry(database.db, {
        idempotencyKey: key,
        kind: "payout",
        postings: [
          { account: walletAccount(6), currency: EUR, amount: -amount },
          { account: PAYOUTS, currency: EUR, amount },
        ],
      });
    const err = await withdraw("t6:out", 101n).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientFundsError);
    expect(err.account).toBe(walletAccount(6));
    expect(err.currency).toBe(EUR);
    expect(await counts()).toEqual(before);
    expect(await balanceOf(database.db, walletAccount(6), EUR)).toBe(100n);
    // The key is still free: the failed attempt left no entry.
    expect((await withdraw("t6:out", 100n)).replayed).toBe(false);
    expect(await balanceOf(database.db, walletAccount(6), EUR)).toBe(0n);
    await expectLedgerOk();
  });

  it("refuses to open a non-negative account below zero", async () => {
    await expect(
      postEntry(database.db, {
        idempotencyKey: "t7:neg",
        kind: "transfer",
        postings: [
          { account: walletAccount(7), currency: EUR, amount: -1n },
          { account: FEES, currency: EUR, amount: 1n },
        ],
      }),
    ).rejects.toThrow(InsufficientFundsError);
    expect(await balanceOf(database.db, walletAccount(7), EUR)).toBe(0n);
  });

  it("does not poison the caller's transaction when it refuses", async () => {
    await deposit("t8:dep", 8, 50n);
    await database.db.transaction(async (tx) => {
      await expect(
        postEntry(tx, {
          idempotencyKey: "t8:over",
          kind: "transfer",
          postings: [
            { account: walletAccount(8), currency: EUR, amount: -51n },
            { account: FEES, currency: EUR, amount: 51n },
          ],
        }),
      ).rejects.toThrow(InsufficientFundsError);
      const ok = await postEntry(tx, {
        idempotencyKey: "t8:ok",
        kind: "transfer",
        postings: [
          { account: walletAccount(8), currency: EUR, amount: -50n },
          { account: FEES, currency: EUR, amount: 50n },
        ],
      });
      expect(ok.replayed).toBe(false);
    });
    expect(await balanceOf(database.db, walletAccount(8), EUR)).toBe(0n);
    await expectLedgerOk();
  });
});

describe("reverseEntry", () => {
  it("mirrors the original, once", async () => {
    const dep = await deposit("t10:dep", 10, 700n);
    const rev = await reverseEntry(database.db, dep.entryId, "t10:rev");
    expect(rev.replayed).toBe(false);
    expect(await balanceOf(database.db, walletAccount(10), EUR)).toBe(0n);
    expect(await reverseEntry(database.db, dep.entryId, "t10:rev")).toEqual({
      entryId: rev.entryId,
      replayed: true,
    });
    await expect(reverseEntry(database.db, dep.entryId, "t10:rev2")).rejects.toThrow(
      AlreadyReversedError,
    );
    await expect(reverseEntry(database.db, 987654321, "t10:rev3")).rejects.toThrow(
      EntryNotFoundError,
    );
    await expectLedgerOk();
  });

  it("cannot reverse money that has been spent", async () => {
    const dep = await deposit("t11:dep", 11, 100n);
    await postEntry(database.db, {
      idempotencyKey: "t11:spend",
      kind: "transfer",
      postings: [
        { account: walletAccount(11), currency: EUR, amount: -60n },
        { account: FEES, currency: EUR, amount: 60n },
      ],
    });
    await expect(reverseEntry(database.db, dep.entryId, "t11:rev")).rejects.toThrow(
      InsufficientFundsError,
    );
    expect(await balanceOf(database.db, walletAccount(11), EUR)).toBe(40n);
    await expectLedgerOk();
  });
});

describe("account names in SQL", () => {
  it("build and parse exactly the names the TypeScript helpers do", async () => {
    const names = fc.oneof(
      fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map((id) => walletAccount(id)),
      fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map((id) => earningsAccount(id)),
      fc.constantFrom(FEES, PLEDGES, DEPOSITS, PAYOUTS, "wallet:0", "wallet:01", "wallet:", "x"),
      fc.stringMatching(/^[a-z0-9.-]{1,20}$/).map((h) => clearingAccount(h)),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), names, async (id, name) => {
        const i = sql`${id.toString()}::int8`;
        const n = sql`${name}::text`;
        const [row] = await queryRows<{
          wallet: string;
          earnings: string;
          local: string;
          other: string | null;
          user_id: string | null;
          is_wallet: boolean;
          negative: boolean;
        }>(
          database.db,
          sql`select ${walletAccountSql(i)} as wallet, ${earningsAccountSql(i)} as earnings,
                     ${creatorAccountSql(sql`'local'`, i)} as local,
                     ${creatorAccountSql(sql`'remote'`, i)} as other,
                     ${accountUserIdSql(n)}::text as user_id,
                     ${isWalletAccountSql(n)} as is_wallet,
                     ${mayGoNegativeSql(n)} as negative`,
        );
        expect(row!.wallet).toBe(walletAccount(id));
        expect(row!.earnings).toBe(earningsAccount(id));
        expect(row!.local).toBe(earningsAccount(id));
        expect(row!.other).toBeNull();
        // accountUserId() answers a Number; compare the exact digits it accepted.
        const want = accountUserId(name) === null ? null : name.slice(name.indexOf(":") + 1);
        expect(row!.user_id).toBe(want);
        expect(row!.is_wallet).toBe(name.startsWith("wallet:"));
        expect(row!.negative).toBe(mayGoNegative(name));
      }),
      { numRuns: 150 },
    );
    const [fixed] = await queryRows<{ fees: string; pledges: string }>(
      database.db,
      sql`select ${accountSql(FEES)} as fees, ${accountSql(PLEDGES)} as pledges`,
    );
    expect(fixed).toEqual({ fees: FEES, pledges: PLEDGES });
  });
});
