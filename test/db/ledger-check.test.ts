// checkLedger must notice every kind of damage. The damage is done with triggers switched off
// (session_replication_role = replica, superuser only) inside a transaction that is rolled back.
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Database, Db } from "../../src/db/client.ts";
import {
  checkLedger,
  DEPOSITS,
  FEES,
  type LedgerViolation,
  postEntry,
  reverseEntry,
  walletAccount,
} from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
let depositId: number;
let reversalId: number;
beforeAll(async () => {
  database = await createTestDatabase();
  const eur = "EUR";
  depositId = (
    await postEntry(database.db, {
      idempotencyKey: "dep:1",
      kind: "deposit",
      postings: [
        { account: DEPOSITS, currency: eur, amount: -1000n },
        { account: walletAccount(1), currency: eur, amount: 1000n },
      ],
    })
  ).entryId;
  const spend = await postEntry(database.db, {
    idempotencyKey: "spend:1",
    kind: "transfer",
    postings: [
      { account: walletAccount(1), currency: eur, amount: -300n },
      { account: FEES, currency: eur, amount: 300n },
    ],
  });
  reversalId = (await reverseEntry(database.db, spend.entryId, "rev:1")).entryId;
});
afterAll(async () => {
  await database?.close();
});

class Rollback extends Error {}

/** Runs `damage` with triggers off, returns what checkLedger sees, and rolls everything back. */
async function violationsAfter(damage: (tx: Db) => Promise<unknown>): Promise<LedgerViolation[]> {
  let found: LedgerViolation[] = [];
  await database.db
    .transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await damage(tx);
      found = await checkLedger(tx);
      throw new Rollback();
    })
    .catch((e) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return found;
}

const exec = (q: SQL) => (tx: Db) => tx.execute(q);
const rules = (v: LedgerViolation[]) => [...new Set(v.map((x) => x.rule))].sort();

it("finds nothing wrong with an intact ledger", async () => {
  expect(await checkLedger(database.db)).toEqual([]);
});

it("notices a tampered balance", async () => {
  const v = await violationsAfter(
    exec(sql`update ledger_balances set balance = balance + 1 where account = 'wallet:1'`),
  );
  expect(rules(v)).toEqual(["balance_mismatch", "currency_total"]);
  expect(v[0]!.message).toBe("wallet:1 (EUR): stored balance 1001 but postings sum to 1000");
});

it("notices a missing balance row", async () => {
  const v = await violationsAfter(
    exec(sql`delete from ledger_balances where account = 'wallet:1'`),
  );
  expect(rules(v)).toEqual(["balance_mismatch", "currency_total"]);
  expect(v[0]!.message).toBe("wallet:1 (EUR): stored balance missing but postings sum to 1000");
});

it("notices an edited posting", async () => {
  const v = await violationsAfter(
    exec(
      sql`update ledger_postings set amount = 2000 where entry_id = ${depositId} and amount > 0`,
    ),
  );
  expect(rules(v)).toEqual(["balance_mismatch", "unbalanced_entry"]);
  expect(v.find((x) => x.rule === "unbalanced_entry")!.message).toBe(
    `entry #${depositId} does not balance in EUR: postings sum to 1000`,
  );
});

it("notices a deleted posting", async () => {
  const v = await violationsAfter(
    exec(sql`delete from ledger_postings where entry_id = ${depositId} and amount < 0`),
  );
  expect(rules(v)).toEqual(["balance_mismatch", "too_few_postings", "unbalanced_entry"]);
});

it("notices an entry without postings and postings without an entry", async () => {
  const v = await violationsAfter(async (tx) => {
    await tx.execute(
      sql`insert into ledger_entries (idempotency_key, kind, payload_hash) values ('ghost', 'transfer', 'x')`,
    );
    await tx.execute(
      sql`insert into ledger_postings (entry_id, account, currency, amount) values (424242, 'fees', 'EUR', 5), (424242, 'wallet:9', 'EUR', -5)`,
    );
  });
  expect(rules(v)).toEqual([
    "balance_mismatch",
    "negative_balance",
    "orphan_posting",
    "too_few_postings",
    "unknown_account",
  ]);
  expect(v.find((x) => x.rule === "negative_balance")!.message).toBe(
    "wallet:9 (EUR) may not go negative but its postings sum to -5",
  );
});

it("notices a reversal that is not the mirror of its original", async () => {
  const v = await violationsAfter(
    exec(
      sql`update ledger_postings set account = 'earnings:1' where entry_id = ${reversalId} and account = 'fees'`,
    ),
  );
  expect(rules(v)).toContain("reversal_mismatch");
  const v2 = await violationsAfter(
    exec(sql`update ledger_entries set kind = 'transfer' where id = ${reversalId}`),
  );
  expect(rules(v2)).toEqual(["reversal_kind"]);
});

it("notices a wallet whose postings sum below zero", async () => {
  // (Its stored balance cannot follow: the CHECK on ledger_balances holds even with triggers off.)
  const v = await violationsAfter(async (tx) => {
    await tx.execute(
      sql`insert into ledger_entries (id, idempotency_key, kind, payload_hash) overriding system value values (900001, 'over', 'transfer', 'x')`,
    );
    await tx.execute(
      sql`insert into ledger_postings (entry_id, account, currency, amount) values (900001, 'wallet:1', 'EUR', -5000), (900001, 'fees', 'EUR', 5000)`,
    );
  });
  expect(rules(v)).toEqual(["balance_mismatch", "negative_balance"]);
});
