import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { peerAdmittedSql } from "../peers/admission.ts";
import type { Period } from "../periods/period.ts";
import { pledgeReturnsAt } from "./pledge-hold.ts";
import { shareStateSql } from "./share-state.ts";
import { type FlattrValue, type FlattrValues, flattrValues } from "./values.ts";

/**
 * Where a flattr's share goes: a creator here (earnings), on a peer (clearing:<host>, paid through
 * the peer's settlement) or elsewhere (unclaimed: held in pledges until the creator claims it).
 */
export type CreatorKind = "local" | "peer" | "unclaimed";

/**
 * What became of a flattr's share once its period is closed: `paid` (to a creator here, or
 * settled with or claimed through the creator's server), `in_transit` (owed to the creator's
 * admitted Fediflattr server, not settled yet), `awaiting` (owed to a Fediflattr server that is
 * not admitted here), `held` (in pledges until the creator claims it or the hold ends) or
 * `returned` (the hold ended unclaimed: back in the payer's wallet).
 */
export type FlattrStatus = "paid" | "in_transit" | "awaiting" | "held" | "returned";

export interface MyFlattr extends FlattrValue {
  kind: string;
  /** A local owner has an id and a username; a remote one a handle (user@host) as username. */
  owner: { id: number | null; username: string; displayName: string; url: string | null };
  /**
   * The route of the share: frozen by the close's seal once the period is sealed, else as the
   * peers table says now (it may still change until the seal).
   */
  creator: { kind: CreatorKind; host: string | null; frozen: boolean };
  /** Null until the period is closed for this payer, or when the flattr was worth nothing. */
  status: FlattrStatus | null;
  /** For a held share: when it returns to the payer if still unclaimed. */
  returnsAt: Date | null;
}

export interface MyFlattrs extends Omit<FlattrValues, "flattrs"> {
  flattrs: MyFlattr[];
}

/**
 * The user's active flattrs of a period (default: the current one) with the value of each:
 * projected while the period is open, final once the close processed the user (values.ts).
 */
export function myFlattrs(
  db: Db,
  config: Config,
  clock: Clock,
  userId: number,
  period: Period = currentPeriod(clock, config),
): Promise<MyFlattrs> {
  return periodFlattrs(db, config, userId, period);
}

interface OwnerRow extends Record<string, unknown> {
  id: string;
  kind: string;
  owner_kind: string;
  owner_id: string | null;
  username: string | null;
  display_name: string | null;
  remote_uri: string | null;
  remote_handle: string | null;
  remote_name: string | null;
  remote_url: string | null;
  route: string | null;
  route_host: string | null;
  peer_now: boolean | null;
  remote_host: string | null;
  share_state: string | null;
  share_route: string | null;
  claimed_by_host: string | null;
  admitted: boolean | null;
}

/** myFlattrs for an explicit period (no clock needed). */
export async function periodFlattrs(
  db: Db,
  config: Config,
  userId: number,
  period: Period,
): Promise<MyFlattrs> {
  const values = await flattrValues(db, config, userId, period);
  const ids = [...new Set(values.flattrs.map((f) => f.thingId))];
  const rows =
    ids.length === 0
      ? []
      : await queryRows<OwnerRow>(
          db,
          sql`select t.id::text, t.kind, t.owner_kind, t.owner_id::text, u.username,
                     u.display_name, a.uri as remote_uri, a.handle as remote_handle,
                     a.name as remote_name, a.url as remote_url, a.host as remote_host,
                     r.route, r.peer_host as route_host, p.speaks_flattr as peer_now,
                     ${shareStateSql(sql`s`)} as share_state, s.route as share_route, s.claimed_by_host,
                     ${peerAdmittedSql(sql`s.peer_host`)} as admitted
              from things t
              left join users u on u.id = t.owner_id
              left join remote_actors a on a.id = t.remote_owner_id
              left join close_routes r on r.period = ${period}::text and r.remote_actor_id = a.id
              left join peers p on p.host = a.host
              left join remote_shares s on s.period = ${period}::text and s.remote_actor_id = a.id
                                       and s.payer_id = ${userId}::int8
              where t.id in (select json_array_elements_text(${JSON.stringify(ids)}::json)::int8)`,
        );
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return {
    ...values,
    flattrs: values.flattrs.map((f) => {
      const t = byId.get(f.thingId);
      const status = values.final && f.value > 0n ? statusOf(t) : null;
      return {
        ...f,
        kind: t?.kind ?? "page",
        owner: ownerOf(t),
        creator: creatorOf(t),
        status,
        returnsAt: status === "held" ? pledgeReturnsAt(period, config) : null,
      };
    }),
  };
}

function ownerOf(t: OwnerRow | undefined): MyFlattr["owner"] {
  if (t?.owner_kind === "remote")
    return {
      id: null,
      username: t.remote_handle ?? t.remote_uri ?? "",
      displayName: t.remote_name ?? "",
      url: t.remote_url ?? t.remote_uri,
    };
  return {
    id: t?.owner_id ? Number(t.owner_id) : 0,
    username: t?.username ?? "",
    displayName: t?.display_name ?? "",
    url: null,
  };
}

function creatorOf(t: OwnerRow | undefined): MyFlattr["creator"] {
  if (t?.owner_kind !== "remote") return { kind: "local", host: null, frozen: false };
  if (t.route !== null)
    return {
      kind: t.route === "peer" ? "peer" : "unclaimed",
      host: t.route_host,
      frozen: true,
    };
  return t.peer_now
    ? { kind: "peer", host: t.remote_host, frozen: false }
    : { kind: "unclaimed", host: null, frozen: false };
}

/** The share's fate once the close has posted it (FlattrStatus). */
function statusOf(t: OwnerRow | undefined): FlattrStatus | null {
  if (t?.owner_kind !== "remote") return "paid";
  switch (t.share_state) {
    case "settled":
      return "paid";
    case "returned":
      return "returned";
    case "claimed":
      // Claimed through another Fediflattr server: it travels with our summary to that server.
      return t.claimed_by_host === null ? "paid" : "in_transit";
    case "open":
      if (t.share_route === "unclaimed") return "held";
      return t.admitted ? "in_transit" : "awaiting";
    default:
      return null;
  }
}
