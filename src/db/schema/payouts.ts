import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/*
 * Payouts: money leaving the instance by bank transfer (src/settlement/payouts.ts). A creator's
 * payable earnings or a person's unspent wallet money is requested, approved by an admin in a
 * batch (the amount is reserved at once: earnings:/wallet: → pending_payouts), exported as a SEPA
 * file, then marked paid (pending_payouts → payouts) or failed (back to where it came from).
 */

/** Where a person wants to be paid. One row per user, replaced when they change it. */
export const payoutDetails = pgTable("payout_details", {
  userId: bigint("user_id", { mode: "number" })
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  holder: text("holder").notNull(),
  /** Electronic format: upper case, no spaces; checked with ibantools. */
  iban: text("iban").notNull(),
  /** Empty when not given (SEPA transfers do not need it). */
  bic: text("bic").notNull().default(""),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

/** A batch an admin approved together: one SEPA file, marked paid together. */
export const payoutBatches = pgTable("payout_batches", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  currency: text("currency").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  /** Who approved it (a username, or "cli"). */
  approvedBy: text("approved_by").notNull(),
});

export const payouts = pgTable(
  "payouts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    /** earnings (a creator's payable earnings) or wallet (unspent wallet money withdrawn). */
    source: text("source").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    /** requested → approved → paid | failed; requested → cancelled (by the person or an admin). */
    status: text("status").notNull(),
    /** The payout details when requested: the file pays what the person saw. */
    holder: text("holder").notNull(),
    iban: text("iban").notNull(),
    bic: text("bic").notNull(),
    batchId: bigint("batch_id", { mode: "number" }).references(() => payoutBatches.id),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    /** Why it failed or was cancelled, shown to the person. */
    note: text("note"),
  },
  (t) => [
    check("payouts_source", sql`${t.source} in ('earnings', 'wallet')`),
    check(
      "payouts_status",
      sql`${t.status} in ('requested', 'approved', 'paid', 'failed', 'cancelled')`,
    ),
    check("payouts_amount", sql`${t.amount} > 0`),
    check(
      "payouts_batch",
      sql`(${t.batchId} is null) = (${t.status} in ('requested', 'cancelled'))`,
    ),
    // One open request per person and source: a second request replaces nothing silently.
    uniqueIndex("payouts_one_open").on(t.userId, t.source).where(sql`${t.status} = 'requested'`),
    index("payouts_user").on(t.userId, t.id),
    index("payouts_status").on(t.status, t.id),
    index("payouts_batch").on(t.batchId),
  ],
);
