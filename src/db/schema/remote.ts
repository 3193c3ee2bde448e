import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/** A server's key everywhere in the schema: lowercase `host[:port]` of its origin (as in clearing:<host>). */
const hostCheck = (column: AnyPgColumn) =>
  sql`${column} ~ '^[a-z0-9.:\\[\\]-]+$' and length(${column}) <= 255`;

/**
 * The cache of remote actors (people, services, instance actors on other servers): written when
 * an actor is looked up, follows someone here, flattrs or posts, and refreshed when stale. Owners
 * of remote things, authors of remote statuses and payers of incoming flattrs point here. A deleted
 * actor keeps its row (`gone_at`): money history refers to it. Ids sort by time (src/db/ids.ts).
 */
export const remoteActors = pgTable(
  "remote_actors",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey(),
    /** The actor's ActivityPub id. */
    uri: text("uri").notNull(),
    /** Lowercase host[:port] of the uri: the actor's server. */
    host: text("host").notNull(),
    /** `user@host` as WebFinger confirms it (null until known). */
    handle: text("handle"),
    /** Person, Service, Application, Group, Organization. */
    type: text("type").notNull(),
    name: text("name").notNull().default(""),
    /** Sanitised HTML as the actor's server wrote it. */
    summaryHtml: text("summary_html").notNull().default(""),
    /** The HTML profile people open. */
    url: text("url"),
    iconUrl: text("icon_url"),
    inboxUrl: text("inbox_url"),
    sharedInboxUrl: text("shared_inbox_url"),
    followersUrl: text("followers_url"),
    /** Its FEP-0ea0 payment link, if it publishes one. */
    paymentUrl: text("payment_url"),
    /**
     * `totalItems` of its followers, following and outbox collections as its server published
     * them when we last fetched it (what Mastodon apps show on a profile); null when unknown.
     */
    followersCount: integer("followers_count"),
    followingCount: integer("following_count"),
    statusesCount: integer("statuses_count"),
    fetchedAt: timestamp("fetched_at", { withTimezone: true }).notNull(),
    /** Deleted (a Delete of the actor, or 410 Gone on refresh). */
    goneAt: timestamp("gone_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("remote_actors_uri").on(t.uri),
    index("remote_actors_host").on(t.host),
    uniqueIndex("remote_actors_handle").on(sql`lower(${t.handle})`),
    check("remote_actors_host", hostCheck(t.host)),
    check(
      "remote_actors_counts",
      sql`${t.followersCount} >= 0 and ${t.followingCount} >= 0 and ${t.statusesCount} >= 0`,
    ),
  ],
);

/**
 * Servers seen speaking ActivityPub, with what their NodeInfo says about flattrs. A server is a
 * peer (`speaks_flattr`) when its `metadata.flattr` names a protocol version we speak and our
 * currency; creators there are paid through it (clearing:<host>), creators elsewhere are unclaimed
 * (pledges). Refreshed daily.
 */
export const peers = pgTable(
  "peers",
  {
    host: text("host").primaryKey(),
    software: text("software"),
    version: text("version"),
    protocolVersion: text("protocol_version"),
    currency: text("currency"),
    feeBp: integer("fee_bp"),
    timeZone: text("time_zone"),
    settlementDay: integer("settlement_day"),
    /**
     * Its instance actor as its NodeInfo names it (`metadata.flattr.instanceActor`): the only
     * actor whose signature settlement traffic from it may carry, and where ours goes.
     */
    instanceActor: text("instance_actor"),
    /**
     * Where settlement traffic to `instance_actor` goes (its shared inbox, else its inbox, on its
     * own origin), as its actor document said when we last looked it up: a summary's POST and our
     * answer need not fetch the actor each time. Null until looked up, and again when the
     * NodeInfo names another actor or a delivery there failed.
     */
    instanceInbox: text("instance_inbox"),
    speaksFlattr: boolean("speaks_flattr").notNull().default(false),
    /** Null for a host an admin admitted before we ever met it (its NodeInfo not read yet). */
    firstSeen: timestamp("first_seen", { withTimezone: true }),
    /** Last time its NodeInfo was read successfully. */
    lastSeen: timestamp("last_seen", { withTimezone: true }),
    /** Last attempt, successful or not. */
    checkedAt: timestamp("checked_at", { withTimezone: true }),
    lastError: text("last_error"),
    /**
     * Money flows only with admitted peers (src/peers/admission.ts): set by an admin, kept when
     * the peer is suspended (suspended_at), so re-admitting shows when trust began.
     */
    admittedAt: timestamp("admitted_at", { withTimezone: true }),
    /** Set while the admin has suspended the peer: no summaries sent, received ones not applied. */
    suspendedAt: timestamp("suspended_at", { withTimezone: true }),
    /**
     * Minor units of a peer's credited earnings that are payable here before its transfers
     * arrive (issue 10 point 4). Default 0: a peer's word alone never makes money payable.
     */
    creditLimit: bigint("credit_limit", { mode: "bigint" }).notNull().default(sql`0`),
  },
  (t) => [
    check("peers_host", hostCheck(t.host)),
    check("peers_credit_limit", sql`${t.creditLimit} >= 0`),
  ],
);

/**
 * Servers this instance refuses: inbound activities, look-ups and deliveries. A block covers the
 * host's subdomains (src/peers/blocks.ts decides matches).
 */
export const blockedDomains = pgTable(
  "blocked_domains",
  {
    host: text("host").primaryKey(),
    reason: text("reason").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [check("blocked_domains_host", hostCheck(t.host))],
);

/**
 * A local user's remote fediverse account, proven theirs (a verified claim). Flattring it is
 * flattring yourself, and pledges for it are theirs. One user per remote actor.
 */
export const linkedActors = pgTable(
  "linked_actors",
  {
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" })
      .primaryKey()
      .references(() => remoteActors.id, { onDelete: "restrict" }),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    linkedAt: timestamp("linked_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("linked_actors_user").on(t.userId)],
);
