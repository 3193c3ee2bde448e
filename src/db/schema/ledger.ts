import { type SQL, sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/*
 * The double-entry ledger (docs/ARCHITECTURE.md, Money). Integrity lives in the database, not only in code:
 * the triggers in src/db/sql/ledger-triggers.sql keep ledger_balances, refuse unbalanced entries,
 * refuse overdrafts (the CHECK on ledger_balances) and make the ledger append-only. A raw
 * set-based INSERT (the month close) gets the same guarantees as postEntry().
 */

/** Accounts that may go negative: money entering/leaving the instance, and peers' positions. */
const mayGoNegative = (name: AnyPgColumn): SQL =>
  sql`(${name} in ('deposits', 'payouts') or ${name} like 'clearing:%')`;

/**
 * What two spellings of one bank reference may differ in besides case: spaces and dashes
 * (hyphen-minus, the Unicode hyphens and dashes, the minus sign), which people add, drop or
 * retype when they copy a reference from a statement (src/ledger/deposits.ts).
 */
export const DEPOSIT_REFERENCE_SEPARATORS = " -\u2010\u2011\u2012\u2013\u2014\u2015\u2212";

/**
 * A deposit's recorded reference in the form references are compared in: without separators.
 * Recorded references are already trimmed and upper-cased (bank) by the code that wrote them.
 * The separators are a literal, not a parameter, so a query's expression matches the index's.
 */
export const depositReferenceKeySql = (metadata: SQL | AnyPgColumn): SQL =>
  sql`translate(${metadata}->>'reference', ${sql.raw(`'${DEPOSIT_REFERENCE_SEPARATORS}'`)}, '')`;

/** Created on first use by the postings trigger (or beforehand); never updated or deleted. */
export const ledgerAccounts = pgTable(
  "ledger_accounts",
  {
    /** wallet:<userId>, earnings:<userId>, fees, pledges, deposits, payouts, pending_payouts, clearing:<host>. */
    name: text("name").notNull(),
    currency: text("currency").notNull(),
    /** Derived from the name; the CHECK makes it impossible to get wrong. */
    mayGoNegative: boolean("may_go_negative").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.name, t.currency] }),
    check("ledger_accounts_currency", sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check(
      "ledger_accounts_name",
      sql`${t.name} ~ '^(wallet|earnings):[1-9][0-9]*$' or ${t.name} in ('fees', 'pledges', 'deposits', 'payouts', 'pending_payouts') or ${t.name} ~ '^clearing:[a-z0-9.:\\[\\]-]+$'`,
    ),
    check("ledger_accounts_may_go_negative", sql`${t.mayGoNegative} = ${mayGoNegative(t.name)}`),
  ],
);

export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** e.g. deposit:<bank ref>, close:<period>:<userId>. Same key + same payload = replay. */
    idempotencyKey: text("idempotency_key").notNull(),
    /** deposit, transfer, close, reversal, payout, ... */
    kind: text("kind").notNull(),
    /** Settlement period "YYYY-MM" the entry belongs to, if any. */
    period: text("period"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    /** SHA-256 of the canonical payload (src/ledger/payload.ts); tells a replay from a conflict. */
    payloadHash: text("payload_hash").notNull(),
    /** Set on reversal entries; an entry is reversed at most once (unique). */
    reversesEntryId: bigint("reverses_entry_id", { mode: "number" }).references(
      (): AnyPgColumn => ledgerEntries.id,
    ),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * The creating (top-level) transaction. Postings may only be added in it, so a committed
     * entry never changes. Leave it to the default.
     */
    createdTxid: bigint("created_txid", { mode: "number" })
      .notNull()
      .default(sql`(pg_current_xact_id()::text::bigint)`),
  },
  (t) => [
    uniqueIndex("ledger_entries_idempotency_key").on(t.idempotencyKey),
    uniqueIndex("ledger_entries_reverses").on(t.reversesEntryId),
    index("ledger_entries_period_kind").on(t.period, t.kind),
    // Finds a bank deposit by its reference in any spelling, also deposits whose key was made
    // from the reference as typed (before references were compared normalised).
    index("ledger_entries_deposit_reference")
      .on(depositReferenceKeySql(t.metadata))
      .where(sql`${t.kind} = 'deposit'`),
    check("ledger_entries_kind", sql`${t.kind} ~ '^[a-z][a-z0-9_]*$'`),
    check("ledger_entries_period", sql`${t.period} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
    check("ledger_entries_key", sql`length(${t.idempotencyKey}) between 1 and 500`),
  ],
);

/**
 * Signed amounts in minor units. No foreign keys on purpose: a row-level RI check per posting
 * would dominate a million-row close; the statement trigger checks entries set-based instead and
 * creates missing accounts. Postings must be inserted in the transaction that inserts their entry.
 */
export const ledgerPostings = pgTable(
  "ledger_postings",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    entryId: bigint("entry_id", { mode: "number" }).notNull(),
    account: text("account").notNull(),
    currency: text("currency").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
  },
  (t) => [
    index("ledger_postings_entry").on(t.entryId),
    index("ledger_postings_account").on(t.account, t.currency, t.entryId),
    check("ledger_postings_amount_nonzero", sql`${t.amount} <> 0`),
  ],
);

/** Running balances, maintained only by the postings trigger (direct writes are refused). */
export const ledgerBalances = pgTable(
  "ledger_balances",
  {
    account: text("account").notNull(),
    currency: text("currency").notNull(),
    balance: bigint("balance", { mode: "bigint" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.account, t.currency] }),
    // The overdraft guard. Concurrent debits serialize on the balance row, so it holds under load.
    check("ledger_balances_non_negative", sql`${t.balance} >= 0 or ${mayGoNegative(t.account)}`),
  ],
);
