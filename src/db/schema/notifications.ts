import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { remoteActors } from "./remote.ts";
import { statuses } from "./statuses.ts";

/**
 * What happened to a local user that they should hear of (docs/adr/0021): a favourite or flattr
 * of their post, a follow, a mention. Rows are written by triggers on the tables where those
 * events are recorded (src/db/sql/notification-triggers.sql), in the same statement, so every
 * writer (the API, pages, the inbox, set-based statements) notifies and a rolled-back write
 * notifies nobody. Ids sort by time like statuses' (Mastodon apps sort by id). `source_key`
 * names the row that caused it ("flattr:12", "follow:3", "mention:<status id>"): one
 * notification per event, and an undo (unflattr, Undo(Follow)) deletes it as Mastodon does.
 * Dismissing keeps the row (`dismissed_at`) so that a re-delivered note does not notify again.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Mastodon's type: favourite, follow, mention. */
    type: text("type").notNull(),
    sourceKey: text("source_key").notNull(),
    /** Who did it: a local user… */
    fromUserId: bigint("from_user_id", { mode: "number" }).references(() => users.id, {
      onDelete: "cascade",
    }),
    /** …or a remote actor. */
    fromRemoteActorId: bigint("from_remote_actor_id", { mode: "bigint" }).references(
      () => remoteActors.id,
      { onDelete: "cascade" },
    ),
    /** The post it is about (favourite, mention). */
    statusId: bigint("status_id", { mode: "bigint" }).references(() => statuses.id, {
      onDelete: "cascade",
    }),
    /** A favourite that is a flattr (money at the close), not a plain favourite. */
    flattr: boolean("flattr").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    dismissedAt: timestamp("dismissed_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("notifications_source").on(t.userId, t.sourceKey),
    index("notifications_user").on(t.userId, t.id).where(sql`${t.dismissedAt} is null`),
    index("notifications_status").on(t.statusId),
    check("notifications_type", sql`${t.type} in ('favourite', 'follow', 'mention')`),
    check(
      "notifications_one_actor",
      sql`(${t.fromUserId} is null) <> (${t.fromRemoteActorId} is null)`,
    ),
  ],
);

/**
 * Mastodon's markers: where a user stopped reading a timeline (`home`, `notifications`), kept for
 * every app they use. `version` counts updates, as Mastodon's optimistic lock does.
 */
export const markers = pgTable(
  "markers",
  {
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    timeline: text("timeline").notNull(),
    lastReadId: text("last_read_id").notNull(),
    version: bigint("version", { mode: "number" }).notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.timeline] }),
    check("markers_timeline", sql`${t.timeline} in ('home', 'notifications')`),
    check("markers_last_read_id", sql`${t.lastReadId} ~ '^[0-9]{1,19}$'`),
  ],
);
