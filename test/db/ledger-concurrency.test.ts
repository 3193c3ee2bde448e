// Concurrency needs PostgreSQL (PGlite is one session); skipped without TEST_DATABASE_URL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import {
  balanceOf,
  checkLedger,
  DEPOSITS,
  FEES,
  InsufficientFundsError,
  PAYOUTS,
  postEntry,
  walletAccount,
} from "../../src/ledger/index.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  if (usingPostgres) database = await createTestDatabase();
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

describe.skipIf(!usingPostgres)("on PostgreSQL", () => {
  it("lets exactly as many concurrent withdrawals succeed as the wallet can afford", async () => {
    await deposit("c1:dep", 1, 1000n);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        postEntry(database.db, {
          idempotencyKey: `c1:out:${i}`,
          kind: "payout",
          postings: [
            { account: walletAccount(1), currency: EUR, amount: -100n },
            { account: PAYOUTS, currency: EUR, amount: 100n },
          ],
        }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(10);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientFundsError);
    expect(await balanceOf(database.db, walletAccount(1), EUR)).toBe(0n);
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it("posts a key exactly once when it is sent concurrently", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => deposit("c2:dep", 2, 250n)));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.entryId)).size).toBe(1);
    expect(await balanceOf(database.db, walletAccount(2), EUR)).toBe(250n);
  });

  it("conserves money under concurrent transfers in both directions, without deadlocks", async () => {
    const users = [11, 12, 13, 14];
    for (const u of users) await deposit(`c3:dep:${u}`, u, 500n);
    const before = await balanceOf(database.db, DEPOSITS, EUR);
    const ops = Array.from({ length: 200 }, (_, i) => {
      const from = users[i % 4]!;
      const to = users[(i * 7 + 1) % 4 === i % 4 ? (i + 1) % 4 : (i * 7 + 1) % 4]!;
      const amount = BigInt(2 + ((i * 37) % 120));
      return postEntry(database.db, {
        idempotencyKey: `c3:t:${i}`,
        kind: "transfer",
        postings: [
          { account: walletAccount(from), currency: EUR, amount: -amount },
          { account: walletAccount(to), currency: EUR, amount: amount - 1n },
          { account: FEES, currency: EUR, amount: 1n },
        ],
      });
    });
    const results = await Promise.allSettled(ops);
    const failures = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    for (const f of failures) expect(f.reason).toBeInstanceOf(InsufficientFundsError);
    let total = await balanceOf(database.db, FEES, EUR);
    for (const u of users) {
      const b = await balanceOf(database.db, walletAccount(u), EUR);
      expect(b >= 0n).toBe(true);
      total += b;
    }
    expect(await balanceOf(database.db, DEPOSITS, EUR)).toBe(before);
    // Wallets + fees hold exactly what was deposited into these wallets (plus earlier fees).
    expect(total).toBe(2000n);
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it("keeps every balance exact when accounts are created and debited concurrently", async () => {
    // Fresh wallets get their first deposits while transfers already try to debit and credit
    // them, all at once: the races around creating balance rows must neither lose nor invent.
    const users = Array.from({ length: 30 }, (_, i) => 100 + i);
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i++) {
      const u = users[(i * 13) % users.length]!;
      const v = users[(i * 7 + 3) % users.length]!;
      if (i % 3 === 0) {
        ops.push(deposit(`c4:dep:${i}`, u, BigInt(10 + (i % 50))));
      } else {
        const amount = BigInt(3 + (i % 20));
        ops.push(
          postEntry(database.db, {
            idempotencyKey: `c4:t:${i}`,
            kind: "transfer",
            postings: [
              { account: walletAccount(u), currency: EUR, amount: -amount },
              { account: walletAccount(v), currency: EUR, amount: amount - 1n },
              { account: `clearing:peer${i % 3}.example`, currency: EUR, amount: 1n },
            ],
          }),
        );
      }
    }
    const results = await Promise.allSettled(ops);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(InsufficientFundsError);
    }
    expect(await checkLedger(database.db)).toEqual([]);
  });
});
