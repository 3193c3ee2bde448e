import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { remoteActors } from "./remote.ts";

/*
 * Who follows whom. A follow between two local users is one row in each table, written together
 * and accepted at once; a follow across servers is one row on each server. Every row names the
 * other side twice: by ActivityPub id (`actor_uri`, what activities carry) and by row (a local
 * user, or a cached remote actor), so that timelines and the Mastodon client API join on ids
 * instead of rebuilding URIs in SQL. Exactly one of the two row references is set.
 */

/** Actors following a local user; written when their Follow arrives (or a local user follows). */
export const followers = pgTable(
  "followers",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    actorUri: text("actor_uri").notNull(),
    /** The follower, when it is a local user (then nothing is ever delivered to it). */
    followerUserId: bigint("follower_user_id", { mode: "number" }).references(() => users.id, {
      onDelete: "cascade",
    }),
    /** The follower, when it is a remote actor. */
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" }).references(() => remoteActors.id, {
      onDelete: "cascade",
    }),
    inboxUrl: text("inbox_url").notNull(),
    sharedInboxUrl: text("shared_inbox_url"),
    /** Id of the Follow activity, so an Undo naming only that id finds the row. */
    followId: text("follow_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("followers_user_actor").on(t.userId, t.actorUri),
    index("followers_actor").on(t.actorUri),
    index("followers_remote_actor").on(t.remoteActorId),
    check(
      "followers_one_follower",
      sql`(${t.followerUserId} is null) <> (${t.remoteActorId} is null)`,
    ),
  ],
);

/** Actors a local user follows; `acceptedAt` stays null until their Accept arrives. */
export const following = pgTable(
  "following",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    actorUri: text("actor_uri").notNull(),
    /** The followed actor, when it is a local user (accepted at once, no network). */
    targetUserId: bigint("target_user_id", { mode: "number" }).references(() => users.id, {
      onDelete: "cascade",
    }),
    /** The followed actor, when it is a remote actor. */
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" }).references(() => remoteActors.id, {
      onDelete: "cascade",
    }),
    inboxUrl: text("inbox_url").notNull(),
    sharedInboxUrl: text("shared_inbox_url"),
    /** Id of our latest Follow activity; the Accept must name it. */
    followId: text("follow_id").notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("following_user_actor").on(t.userId, t.actorUri),
    uniqueIndex("following_follow_id").on(t.followId),
    // "Does anyone here follow this author?" for every note that arrives.
    index("following_remote_actor").on(t.remoteActorId),
    index("following_target_user").on(t.targetUserId),
    check("following_one_target", sql`(${t.targetUserId} is null) <> (${t.remoteActorId} is null)`),
  ],
);
