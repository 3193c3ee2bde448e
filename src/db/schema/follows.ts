import { bigint, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/** Actors (usually remote) following a local user; written when their Follow arrives. */
export const followers = pgTable(
  "followers",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    actorUri: text("actor_uri").notNull(),
    inboxUrl: text("inbox_url").notNull(),
    sharedInboxUrl: text("shared_inbox_url"),
    /** Id of the Follow activity, so an Undo naming only that id finds the row. */
    followId: text("follow_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("followers_user_actor").on(t.userId, t.actorUri),
    index("followers_actor").on(t.actorUri),
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
  ],
);
