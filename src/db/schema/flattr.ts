import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { oauthApps } from "./oauth.ts";
import { remoteActors } from "./remote.ts";

/** A user's monthly budget. No row = no budget (cannot flattr). Unspent budget stays in the wallet. */
export const budgets = pgTable(
  "budgets",
  {
    userId: bigint("user_id", { mode: "number" })
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [check("budgets_amount_positive", sql`${t.amount} > 0`)],
);

/**
 * Something that can be flattred: a registered web page, a profile, or a post (note). Its owner
 * is a local user (`owner_kind` local, `owner_id`) or a remote actor (`owner_kind` remote,
 * `remote_owner_id`); which account a remote owner's share goes to (clearing:<peer> or pledges) is
 * decided by the close from the peers table, not stored here. Local web pages' URLs are unique
 * per owner, not globally: a URL is a claim by its owner, and a global constraint would let anyone
 * squat someone else's page first. `object_uri` is the ActivityPub id of what is flattred (a
 * remote note, actor or page; a local note), unique: one thing per object.
 */
export const things = pgTable(
  "things",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    ownerKind: text("owner_kind").notNull().default("local"),
    // Money history points at things and their owners: never cascade-delete them away.
    ownerId: bigint("owner_id", { mode: "number" }).references(() => users.id, {
      onDelete: "restrict",
    }),
    remoteOwnerId: bigint("remote_owner_id", { mode: "bigint" }).references(() => remoteActors.id, {
      onDelete: "restrict",
    }),
    kind: text("kind").notNull(),
    /** As registered (trimmed); shown to people. Remote things: the object's HTML page or id. */
    url: text("url").notNull(),
    /** Canonical form used for uniqueness and lookups (no fragment, lowercase scheme/host). */
    urlNormalized: text("url_normalized").notNull(),
    /** The ActivityPub id of the flattred object, where it has one. */
    objectUri: text("object_uri"),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    /**
     * When the instance last found the page linking back to its owner (src/flattr/verification.ts);
     * null: unverified, a claim anyone could have made.
     */
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
    /**
     * Another owner verified this URL and took it over: new flattrs go to that thing, and this
     * one's open-period flattrs moved there. Null while this claim stands.
     */
    supersededBy: bigint("superseded_by", { mode: "number" }),
  },
  (t) => [
    uniqueIndex("things_owner_url").on(t.ownerId, t.urlNormalized),
    uniqueIndex("things_owner_profile").on(t.ownerId).where(sql`${t.kind} = 'profile'`),
    uniqueIndex("things_remote_owner_profile")
      .on(t.remoteOwnerId)
      .where(sql`${t.kind} = 'profile'`),
    uniqueIndex("things_object_uri").on(t.objectUri),
    index("things_remote_owner").on(t.remoteOwnerId),
    check("things_kind", sql`${t.kind} in ('page', 'profile', 'note')`),
    check("things_owner_kind", sql`${t.ownerKind} in ('local', 'remote')`),
    check(
      "things_one_owner",
      sql`(${t.ownerKind} = 'local' and ${t.ownerId} is not null and ${t.remoteOwnerId} is null)
          or (${t.ownerKind} = 'remote' and ${t.remoteOwnerId} is not null and ${t.ownerId} is null)`,
    ),
  ],
);

/**
 * One row per flattr. Unflattr marks the row (`withdrawn_at`) instead of deleting it: the history
 * stays honest and rate limits see churn; the close reads only rows with `withdrawn_at is null`.
 * A period's rows are frozen once the period is sealed in `closed_periods` (ADR 0002).
 */
export const flattrs = pgTable(
  "flattrs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    thingId: bigint("thing_id", { mode: "number" })
      .notNull()
      .references(() => things.id, { onDelete: "restrict" }),
    payerId: bigint("payer_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    /** "YYYY-MM" in the instance time zone at `created_at`. */
    period: text("period").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    withdrawnAt: timestamp("withdrawn_at", { withTimezone: true }),
    /** Why it was withdrawn: unflattr, domain_blocked, own_thing… (null while active). */
    withdrawnReason: text("withdrawn_reason"),
    /**
     * The opaque, random part of the flattr's public `Like` id (`/flattrs/<like_id>`): random, so
     * nobody can walk ids to list everyone's flattrs. Defaulted in SQL so set-based inserts get one.
     */
    likeId: text("like_id").notNull().default(sql`replace(gen_random_uuid()::text, '-', '')`),
    /**
     * The OAuth app that made it (a star in a Mastodon app); null for pages, the REST API with a
     * personal access token, and the button. Users see what each app flattred and may withdraw
     * an app's flattrs of the open period when they revoke it.
     */
    appId: bigint("app_id", { mode: "number" }).references(() => oauthApps.id, {
      onDelete: "set null",
    }),
  },
  (t) => [
    // One active flattr per thing, payer and period: the database decides races.
    uniqueIndex("flattrs_active_unique")
      .on(t.thingId, t.payerId, t.period)
      .where(sql`${t.withdrawnAt} is null`),
    // The close walks payers of a period in id order and their flattrs in id order.
    index("flattrs_period_payer")
      .on(t.period, t.payerId, t.id)
      .where(sql`${t.withdrawnAt} is null`),
    index("flattrs_thing_period").on(t.thingId, t.period),
    index("flattrs_payer_created").on(t.payerId, t.createdAt),
    index("flattrs_app").on(t.appId).where(sql`${t.appId} is not null`),
    uniqueIndex("flattrs_like_id").on(t.likeId),
    check("flattrs_period_format", sql`${t.period} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
  ],
);

/**
 * Periods being closed or closed. A row appears when the close seals the period (`closed_at` null
 * while batches run); from then on flattr and unflattr into that period are refused.
 */
export const closedPeriods = pgTable("closed_periods", {
  period: text("period").primaryKey(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
  closedAt: timestamp("closed_at", { withTimezone: true }),
  /** Totals over the whole period: users, payers, flattrs, amount, fees (decimal strings of minor units). */
  stats: jsonb("stats"),
});

/**
 * Every payer the close processed, also those who paid nothing (no balance): the claim that makes
 * batches idempotent, and with the frozen flattrs of the period the source of each flattr's final
 * value (`settlement/shares.ts`). The ledger entry is keyed `close:<period>:<user_id>`.
 */
export const closePayers = pgTable(
  "close_payers",
  {
    period: text("period").notNull(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    /** The monthly budget the close saw (null: none set), for statements after budget changes. */
    budget: bigint("budget", { mode: "bigint" }),
    /** min(budget, wallet balance) at the close; 0 = nothing posted. */
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    fee: bigint("fee", { mode: "bigint" }).notNull(),
    flattrs: integer("flattrs").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.period, t.userId] }),
    check(
      "close_payers_amounts",
      sql`${t.amount} >= 0 and ${t.fee} >= 0 and ${t.fee} <= ${t.amount}`,
    ),
    check("close_payers_flattrs", sql`${t.flattrs} > 0`),
  ],
);
