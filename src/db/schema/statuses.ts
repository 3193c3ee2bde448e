import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  check,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { things } from "./flattr.ts";
import { remoteActors } from "./remote.ts";

/**
 * Posts: local users' own (written here) and remote notes (fetched, or delivered by accounts
 * someone here follows), in one table so that timelines, threads and the Mastodon API read one
 * shape. Ids sort by publication time (src/db/ids.ts). A deleted status keeps its row
 * (`deleted_at`, content emptied): its thing and money history stay.
 */
export const statuses = pgTable(
  "statuses",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey(),
    /** The ActivityPub id of the Note. */
    uri: text("uri").notNull(),
    /** The HTML page people open. */
    url: text("url"),
    /** Local author, or null. */
    userId: bigint("user_id", { mode: "number" }).references(() => users.id, {
      onDelete: "restrict",
    }),
    /** Remote author, or null. */
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" }).references(() => remoteActors.id, {
      onDelete: "restrict",
    }),
    /** Local posts: the plain text as typed (what an edit starts from). Null for remote ones. */
    contentSource: text("content_source"),
    /** Sanitised HTML: ours rendered from the source, remote ones cleaned on the way in. */
    contentHtml: text("content_html").notNull(),
    /** Content warning / summary, plain text. */
    summary: text("summary").notNull().default(""),
    inReplyToUri: text("in_reply_to_uri"),
    inReplyToId: bigint("in_reply_to_id", { mode: "bigint" }).references(
      (): AnyPgColumn => statuses.id,
      { onDelete: "set null" },
    ),
    /** public, unlisted, private (followers), direct. */
    visibility: text("visibility").notNull().default("public"),
    publishedAt: timestamp("published_at", { withTimezone: true }).notNull(),
    editedAt: timestamp("edited_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    /** Remote statuses: when we last fetched or received it. */
    fetchedAt: timestamp("fetched_at", { withTimezone: true }),
    /** Its flattrable thing (local posts always; remote ones once resolved or flattred). */
    thingId: bigint("thing_id", { mode: "number" }).references(() => things.id, {
      onDelete: "restrict",
    }),
  },
  (t) => [
    uniqueIndex("statuses_uri").on(t.uri),
    uniqueIndex("statuses_thing").on(t.thingId),
    index("statuses_user").on(t.userId, t.id),
    index("statuses_remote_actor").on(t.remoteActorId, t.id),
    index("statuses_in_reply_to").on(t.inReplyToUri),
    check("statuses_one_author", sql`(${t.userId} is null) <> (${t.remoteActorId} is null)`),
    check(
      "statuses_visibility",
      sql`${t.visibility} in ('public', 'unlisted', 'private', 'direct')`,
    ),
  ],
);

/** Actors a status mentions (local users or remote actors), for delivery and notifications. */
export const statusMentions = pgTable(
  "status_mentions",
  {
    statusId: bigint("status_id", { mode: "bigint" })
      .notNull()
      .references(() => statuses.id, { onDelete: "cascade" }),
    /** The mentioned actor's ActivityPub id. */
    actorUri: text("actor_uri").notNull(),
    /** Set when the mentioned actor is a local user. */
    userId: bigint("user_id", { mode: "number" }).references(() => users.id, {
      onDelete: "cascade",
    }),
  },
  (t) => [
    uniqueIndex("status_mentions_pk").on(t.statusId, t.actorUri),
    index("status_mentions_user").on(t.userId),
  ],
);

/**
 * `Idempotency-Key` of status creation in the Mastodon API: a retried request with the same key
 * answers the status the first one wrote instead of posting twice. The row is claimed before the
 * post is written (status_id null until then); keys older than an hour are forgotten, as
 * Mastodon forgets them.
 */
export const statusIdempotencyKeys = pgTable(
  "status_idempotency_keys",
  {
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    statusId: bigint("status_id", { mode: "bigint" }).references(() => statuses.id, {
      onDelete: "cascade",
    }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);
