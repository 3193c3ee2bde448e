import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { things } from "./flattr.ts";
import { remoteActors } from "./remote.ts";

/*
 * What other servers tell us about our things (src/flattr/incoming.ts). No money moves here:
 * an incoming flattr is paid by the payer's instance in its own close and reaches us through its
 * settlement summary (issue 10), whose lines are checked against these rows.
 */

/**
 * A `Like` with the flattr extension from a user of a peer: a flattr of a local thing, in the
 * payer's period as the extension says (never recomputed here). Idempotent by the `Like`'s id;
 * an `Undo` sets `withdrawn_at`. One active flattr per payer, thing and period.
 */
export const incomingFlattrs = pgTable(
  "incoming_flattrs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** The `Like`'s id: what the peer's summary lines name. */
    activityId: text("activity_id").notNull(),
    /** The payer's server (host[:port], as in clearing:<host>). */
    peerHost: text("peer_host").notNull(),
    /** The payer. */
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" })
      .notNull()
      .references(() => remoteActors.id, { onDelete: "restrict" }),
    thingId: bigint("thing_id", { mode: "number" })
      .notNull()
      .references(() => things.id, { onDelete: "restrict" }),
    /** The payer's period, "YYYY-MM", as sent. */
    period: text("period").notNull(),
    currency: text("currency").notNull(),
    /** The payer instance's actor, as the extension names it. */
    payerInstance: text("payer_instance").notNull(),
    /** The protocol version the `Like` said it follows. */
    protocolVersion: text("protocol_version").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
    withdrawnAt: timestamp("withdrawn_at", { withTimezone: true }),
    /** The `Undo` that withdrew it. */
    undoActivityId: text("undo_activity_id"),
  },
  (t) => [
    uniqueIndex("incoming_flattrs_activity").on(t.activityId),
    uniqueIndex("incoming_flattrs_active")
      .on(t.remoteActorId, t.thingId, t.period)
      .where(sql`${t.withdrawnAt} is null`),
    index("incoming_flattrs_thing_period").on(t.thingId, t.period),
    index("incoming_flattrs_peer_period").on(t.peerHost, t.period),
    check("incoming_flattrs_period", sql`${t.period} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
    check("incoming_flattrs_currency", sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/**
 * A plain `Like` of a local thing (Mastodon's favourite, or a `Like` from a server that is not a
 * peer): counted, never money.
 */
export const favourites = pgTable(
  "favourites",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    activityId: text("activity_id").notNull(),
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" })
      .notNull()
      .references(() => remoteActors.id, { onDelete: "restrict" }),
    thingId: bigint("thing_id", { mode: "number" })
      .notNull()
      .references(() => things.id, { onDelete: "restrict" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    withdrawnAt: timestamp("withdrawn_at", { withTimezone: true }),
    undoActivityId: text("undo_activity_id"),
  },
  (t) => [
    uniqueIndex("favourites_activity").on(t.activityId),
    index("favourites_thing").on(t.thingId),
  ],
);

/**
 * An `Undo` of a `Like` we have not received (yet): deliveries may arrive out of order. The `Like`
 * arriving later from the same actor is recorded withdrawn.
 */
export const incomingUndos = pgTable(
  "incoming_undos",
  {
    /** The undone `Like`'s id. */
    likeActivityId: text("like_activity_id").notNull(),
    /** Who undid it: only that actor's `Like` is withdrawn by it. */
    actorUri: text("actor_uri").notNull(),
    undoActivityId: text("undo_activity_id").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.likeActivityId, t.actorUri] })],
);
