import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { flattrs, things } from "./flattr.ts";

/*
 * Subscriptions: "flattr this every month for 3, 6 or 12 months" (src/flattr/subscriptions.ts).
 * A subscription covers the calendar months first_period..last_period; each of them is flattred
 * once, at its start, by the worker through the flattr door. Months count whatever happens in
 * them: a month that could not be flattred (no budget, the period limit, the worker down) is
 * used up all the same, and its run says why.
 */

export const subscriptions = pgTable(
  "subscriptions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    thingId: bigint("thing_id", { mode: "number" })
      .notNull()
      .references(() => things.id, { onDelete: "cascade" }),
    months: integer("months").notNull(),
    firstPeriod: text("first_period").notNull(),
    lastPeriod: text("last_period").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
  },
  (t) => [
    check("subscriptions_months", sql`${t.months} in (3, 6, 12)`),
    check("subscriptions_periods", sql`${t.firstPeriod} <= ${t.lastPeriod}`),
    // The worker's walk: live subscriptions of a period.
    index("subscriptions_live")
      .on(t.lastPeriod, t.firstPeriod)
      .where(sql`${t.cancelledAt} is null`),
    index("subscriptions_user_thing").on(t.userId, t.thingId),
  ],
);

/**
 * One row per (subscription, period) that was run: the claim that makes each month's flattr
 * happen exactly once, also with two workers or a worker that runs late, and what came of it.
 */
export const subscriptionRuns = pgTable(
  "subscription_runs",
  {
    subscriptionId: bigint("subscription_id", { mode: "number" })
      .notNull()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    period: text("period").notNull(),
    /** flattred, already_flattred (the payer had flattred it by hand), or a flattr refusal code. */
    outcome: text("outcome").notNull(),
    /** The refusal in words, for the payer. */
    message: text("message"),
    flattrId: bigint("flattr_id", { mode: "number" }).references(() => flattrs.id),
    ranAt: timestamp("ran_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.subscriptionId, t.period] })],
);
