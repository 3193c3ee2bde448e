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
import { pledgeClaims } from "./pledges.ts";
import { remoteActors } from "./remote.ts";
import { summariesOut } from "./summaries.ts";

/*
 * Where the close sends the shares of remote creators (docs/adr/0010-frozen-close-routes.md).
 */

/**
 * The route of each remote creator with flattrs in a period, frozen when the period is sealed
 * (src/settlement/close.ts): `peer` (its server speaks our protocol in our currency: shares go to
 * clearing:<peer_host>) or `unclaimed` (shares go to pledges). The close's batches read only
 * this table, so a server that stops (or starts) being a peer while a period is being closed
 * cannot split one period's shares between two routes.
 */
export const closeRoutes = pgTable(
  "close_routes",
  {
    period: text("period").notNull(),
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" })
      .notNull()
      .references(() => remoteActors.id, { onDelete: "restrict" }),
    route: text("route").notNull(),
    /** The peer's host for route peer, else null. */
    peerHost: text("peer_host"),
    frozenAt: timestamp("frozen_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.period, t.remoteActorId] }),
    check(
      "close_routes_route",
      sql`(${t.route} = 'peer' and ${t.peerHost} is not null) or (${t.route} = 'unclaimed' and ${t.peerHost} is null)`,
    ),
  ],
);

/**
 * A payer's share of one period for one remote creator, as the close posted it to
 * clearing:<peer_host> (route peer) or pledges (route unclaimed): the amount, how many flattrs
 * and which (their `Like` ids). `state` is `open` when posted; the settlement issue moves it to
 * claimed or returned. A share routed to a peer is settled when the peer accepts our summary for
 * its (peer, period): that is the summary's state, not written into the share (ADR 0029; read it
 * through src/settlement/share-state.ts); a claimed share is marked settled by the summary that
 * carried it. `fediflattr ledger check` proves each clearing and the pledges balance equal to
 * its open records.
 */
export const remoteShares = pgTable(
  "remote_shares",
  {
    period: text("period").notNull(),
    /** The creator. */
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" })
      .notNull()
      .references(() => remoteActors.id, { onDelete: "restrict" }),
    payerId: bigint("payer_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    flattrs: integer("flattrs").notNull(),
    /** The flattrs' `Like` ids (flattrs.like_id), in flattr order. */
    likeIds: text("like_ids").array().notNull(),
    route: text("route").notNull(),
    peerHost: text("peer_host"),
    state: text("state").notNull().default("open"),
    /** The claim that took a held share (state claimed). */
    claimId: bigint("claim_id", { mode: "number" }).references(() => pledgeClaims.id, {
      onDelete: "restrict",
    }),
    /**
     * For a share claimed through another Fediflattr server: that server's host. The share then
     * is owed to it (moved to clearing:<host>) and travels in our next summary to it.
     */
    claimedByHost: text("claimed_by_host"),
    /**
     * For a share claimed through another server: the summary to it that carries the share as
     * part of a claimed-pledge line (src/settlement/summaries/build.ts). Null: not sent yet, or
     * put back by a final Reject or a withdrawal, so that the next summary carries it.
     */
    carriedBy: bigint("carried_by", { mode: "number" }).references(() => summariesOut.id, {
      onDelete: "restrict",
    }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.period, t.remoteActorId, t.payerId] }),
    // A (peer, period)'s shares: building, refunding and "which summaries are due" (build.ts).
    index("remote_shares_peer").on(t.peerHost, t.period, t.state).where(sql`${t.route} = 'peer'`),
    index("remote_shares_payer").on(t.payerId, t.period),
    check("remote_shares_amount", sql`${t.amount} > 0 and ${t.flattrs} > 0`),
    check(
      "remote_shares_route",
      sql`(${t.route} = 'peer' and ${t.peerHost} is not null) or (${t.route} = 'unclaimed' and ${t.peerHost} is null)`,
    ),
    check("remote_shares_state", sql`${t.state} in ('open', 'settled', 'claimed', 'returned')`),
    check(
      "remote_shares_claim",
      sql`(${t.state} = 'claimed') = (${t.claimId} is not null) or ${t.state} = 'settled'`,
    ),
    index("remote_shares_claimed_by").on(t.claimedByHost, t.state),
    index("remote_shares_carried_by").on(t.carriedBy),
  ],
);
