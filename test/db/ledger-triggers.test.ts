// The database itself enforces the ledger's rules, whatever SQL reaches it (e.g. a set-based close).
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client.ts";
import { pgError } from "../../src/db/pg-error.ts";
import { balanceOf, checkLedger, postEntry, walletAccount } from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const run = (q: SQL) => queryRows<Record<string, string>>(database.db, q);

async function refused(q: SQL | (() => Promise<unknown>)) {
  const err = await (typeof q === "function" ? q() : run(q)).then(
    () => null,
    (e) => e,
  );
  expect(err, "expected the database to refuse").not.toBeNull();
  return pgError(err);
}

async function newEntry(key: string): Promise<string> {
  const [row] = await run(
    sql`insert into ledger_entries (idempotency_key, kind, payload_hash) values (${key}, 'transfer', 'x') returning id::text as id`,
  );
  return row!.id!;
}

describe("set-based inserts", () => {
  it("books a thousand entries inserted in one statement", async () => {
    await run(sql`
      with e as (
        insert into ledger_entries (idempotency_key, kind, payload_hash)
        select 'bulk:' || g, 'deposit', 'x' from generate_series(1, 1000) g
        returning id, idempotency_key)
      insert into ledger_postings (entry_id, account, currency, amount)
      select e.id, p.account, 'EUR', p.amount
      from e cross join lateral (values
        ('deposits', -100 - split_part(e.idempotency_key, ':', 2)::int),
        ('wallet:' || (split_part(e.idempotency_key, ':', 2)::int % 10 + 1), 100 + split_part(e.idempotency_key, ':', 2)::int)
      ) as p(account, amount)`);
    let total = 0n;
    for (let u = 1; u <= 10; u++) total += await balanceOf(database.db, walletAccount(u), "EUR");
    expect(total).toBe(100_000n + 500_500n);
    expect(await balanceOf(database.db, "deposits", "EUR")).toBe(-total);
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it("aborts the whole statement when one row overdraws", async () => {
    const before = await balanceOf(database.db, walletAccount(1), "EUR");
    const err = await refused(sql`
      with e as (
        insert into ledger_entries (idempotency_key, kind, payload_hash)
        select 'spend:' || g, 'transfer', 'x' from generate_series(1, 100) g returning id)
      insert into ledger_postings (entry_id, account, currency, amount)
      select e.id, p.account, 'EUR', p.amount
      from e cross join lateral (values ('wallet:1', -${before / 50n}::bigint), ('fees', ${before / 50n}::bigint)) as p(account, amount)`);
    expect(err).toMatchObject({ code: "23514", constraint: "ledger_balances_non_negative" });
    expect(await balanceOf(database.db, walletAccount(1), "EUR")).toBe(before);
    const [n] = await run(
      sql`select count(*)::text as n from ledger_entries where idempotency_key like 'spend:%'`,
    );
    expect(n!.n).toBe("0");
  });
});

describe("refusals", () => {
  it("refuses an unbalanced entry", async () => {
    const err = await refused(async () => {
      await database.db.transaction(async (tx) => {
        const [e] = await queryRows<{ id: string }>(
          tx,
          sql`insert into ledger_entries (idempotency_key, kind, payload_hash) values ('unbal', 'transfer', 'x') returning id::text as id`,
        );
        await tx.execute(
          sql`insert into ledger_postings (entry_id, account, currency, amount) values (${e!.id}, 'deposits', 'EUR', -5), (${e!.id}, 'wallet:1', 'EUR', 4)`,
        );
      });
    });
    expect(err).toMatchObject({ code: "23514", constraint: "ledger_entry_balanced" });
  });

  it("checks the balance of an entry at commit, over all its postings", async () => {
    // Postings may come in several statements of the entry's transaction...
    await database.db.transaction(async (tx) => {
      const [e] = await queryRows<{ id: string }>(
        tx,
        sql`insert into ledger_entries (idempotency_key, kind, payload_hash) values ('split', 'transfer', 'x') returning id::text as id`,
      );
      await tx.execute(
        sql`insert into ledger_postings (entry_id, account, currency, amount) values (${e!.id}, 'deposits', 'EUR', -5)`,
      );
      await tx.execute(
        sql`insert into ledger_postings (entry_id, account, currency, amount) values (${e!.id}, 'fees', 'EUR', 5)`,
      );
    });
    // ...but the entry must balance when it commits.
    const err = await refused(async () => {
      await database.db.transaction(async (tx) => {
        const [e] = await queryRows<{ id: string }>(
          tx,
          sql`insert into ledger_entries (idempotency_key, kind, payload_hash) values ('split2', 'transfer', 'x') returning id::text as id`,
        );
        await tx.execute(
          sql`insert into ledger_postings (entry_id, account, currency, amount) values (${e!.id}, 'deposits', 'EUR', -5)`,
        );
      });
    });
    expect(err).toMatchObject({ constraint: "ledger_entry_balanced" });
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it("refuses an entry balanced only across currencies", async () => {
    const err = await refused(async () => {
      await database.db.transaction(async (tx) => {
        const [e] = await queryRows<{ id: string }>(
          tx,
          sql`insert into ledger_entries (idempotency_key, kind, payload_hash) values ('fx', 'transfer', 'x') returning id::text as id`,
        );
        await tx.execute(
          sql`insert into ledger_postings (entry_id, account, currency, amount) values (${e!.id}, 'deposits', 'EUR', -5), (${e!.id}, 'deposits', 'USD', 5)`,
        );
      });
    });
    expect(err).toMatchObject({ constraint: "ledger_entry_balanced" });
  });

  it("refuses an entry without postings at commit", async () => {
    const err = await refused(() => newEntry("empty"));
    expect(err).toMatchObject({ code: "23514", constraint: "ledger_entry_balanced" });
    const [n] = await run(
      sql`select count(*)::text as n from ledger_entries where idempotency_key = 'empty'`,
    );
    expect(n!.n).toBe("0");
  });

  it("refuses postings for a missing entry, and postings added to an existing entry", async () => {
    expect(
      await refused(
        sql`insert into ledger_postings (entry_id, account, currency, amount) values (999999, 'deposits', 'EUR', -1), (999999, 'fees', 'EUR', 1)`,
      ),
    ).toMatchObject({ code: "23503", constraint: "ledger_postings_entry_exists" });
    const { entryId } = await postEntry(database.db, {
      idempotencyKey: "grow",
      kind: "transfer",
      postings: [
        { account: "deposits", currency: "EUR", amount: -10n },
        { account: "fees", currency: "EUR", amount: 10n },
      ],
    });
    expect(
      await refused(
        sql`insert into ledger_postings (entry_id, account, currency, amount) values (${entryId}, 'deposits', 'EUR', -1), (${entryId}, 'fees', 'EUR', 1)`,
      ),
    ).toMatchObject({ constraint: "ledger_entry_immutable" });
  });

  it("refuses zero amounts, unknown account names and bad currencies", async () => {
    const post = (account: string, currency: string, amount: number) =>
      refused(async () => {
        await database.db.transaction(async (tx) => {
          const [e] = await queryRows<{ id: string }>(
            tx,
            sql`insert into ledger_entries (idempotency_key, kind, payload_hash) values ('bad-acct', 'transfer', 'x') returning id::text as id`,
          );
          await tx.execute(
            sql`insert into ledger_postings (entry_id, account, currency, amount) values (${e!.id}, ${account}, ${currency}, ${amount}), (${e!.id}, 'deposits', ${currency}, ${-amount})`,
          );
        });
      });
    expect(await post("wallet:0", "EUR", 1)).toMatchObject({ constraint: "ledger_accounts_name" });
    expect(await post("wallet:alice", "EUR", 1)).toMatchObject({
      constraint: "ledger_accounts_name",
    });
    expect(await post("fees", "eur", 1)).toMatchObject({ constraint: "ledger_accounts_currency" });
    expect(await post("fees", "EUR", 0)).toMatchObject({
      constraint: "ledger_postings_amount_nonzero",
    });
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it("keeps the ledger append-only", async () => {
    for (const q of [
      sql`update ledger_entries set kind = 'other'`,
      sql`delete from ledger_entries`,
      sql`truncate ledger_entries cascade`,
      sql`update ledger_postings set amount = amount * 2`,
      sql`delete from ledger_postings`,
      sql`truncate ledger_postings`,
      sql`update ledger_accounts set may_go_negative = true`,
      sql`delete from ledger_accounts`,
      sql`update ledger_balances set balance = balance + 1`,
      sql`delete from ledger_balances`,
      sql`insert into ledger_balances (account, currency, balance) values ('fees', 'CHF', 100)`,
      sql`truncate ledger_balances`,
    ]) {
      expect(await refused(q)).toMatchObject({ constraint: "ledger_append_only" });
    }
  });

  it("refuses a wrong may_go_negative flag on a pre-created account", async () => {
    expect(
      await refused(
        sql`insert into ledger_accounts (name, currency, may_go_negative) values ('wallet:77', 'EUR', true)`,
      ),
    ).toMatchObject({ constraint: "ledger_accounts_may_go_negative" });
    await run(
      sql`insert into ledger_accounts (name, currency, may_go_negative) values ('wallet:77', 'EUR', false), ('clearing:peer.example:8443', 'EUR', true)`,
    );
    expect(await checkLedger(database.db)).toEqual([]);
  });
});
