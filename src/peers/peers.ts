import { asc, eq, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { peers } from "../db/schema/index.ts";
import { hostOf } from "./host.ts";
import { SPOKEN_PROTOCOL_VERSIONS } from "./protocol.ts";

/*
 * Servers seen on the fediverse and what their NodeInfo says about flattrs. A server is a peer
 * (`speaksFlattr`) when its `metadata.flattr` names a protocol version we speak and our currency:
 * creators there are paid through it (clearing:<host>); creators anywhere else are unclaimed
 * (pledges). The federation adapter fetches NodeInfo (src/federation/peer-info.ts) and records
 * what it read here; nothing here does I/O beyond the database.
 */

export type Peer = typeof peers.$inferSelect;

/** What a server's NodeInfo says, as far as we care. */
export interface PeerInfo {
  software: string | null;
  version: string | null;
  /** `metadata.flattr`, when present and well-formed. */
  flattr: {
    protocolVersion: string;
    currency: string;
    feeBasisPoints: number | null;
    timeZone: string | null;
    settlementDay: number | null;
    /** Its instance actor's id, on its own origin (settlement traffic comes only from it). */
    instanceActor?: string | null;
  } | null;
}

/** A peer speaks our protocol in our currency. */
export function speaksFlattr(info: PeerInfo, config: Pick<Config, "currency">): boolean {
  return (
    info.flattr !== null &&
    SPOKEN_PROTOCOL_VERSIONS.includes(info.flattr.protocolVersion) &&
    info.flattr.currency === config.currency
  );
}

/**
 * Reads `metadata.flattr` out of a NodeInfo document's metadata, leniently: anything malformed
 * makes the server a non-peer rather than an error.
 */
export function flattrMetadataOf(metadata: unknown): PeerInfo["flattr"] {
  if (typeof metadata !== "object" || metadata === null) return null;
  const f = (metadata as Record<string, unknown>).flattr;
  if (typeof f !== "object" || f === null) return null;
  const m = f as Record<string, unknown>;
  const str = (v: unknown, max: number) =>
    typeof v === "string" && v.length > 0 && v.length <= max ? v : null;
  const int = (v: unknown, min: number, max: number) =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : null;
  const protocolVersion = str(m.protocolVersion, 20);
  const currency = str(m.currency, 3);
  if (protocolVersion === null || currency === null || !/^[A-Z]{3}$/.test(currency)) return null;
  return {
    protocolVersion,
    currency,
    feeBasisPoints: int(m.feeBasisPoints, 0, 10000),
    timeZone: str(m.timeZone, 64),
    settlementDay: int(m.settlementDay, 1, 28),
    instanceActor: str(m.instanceActor, 2000),
  };
}

/** Records a successful NodeInfo read of `host`. */
export async function recordPeerInfo(
  db: Db,
  clock: Clock,
  config: Pick<Config, "currency">,
  host: string,
  info: PeerInfo,
): Promise<Peer> {
  const now = clock.now();
  const values = {
    software: info.software?.slice(0, 100) ?? null,
    version: info.version?.slice(0, 100) ?? null,
    protocolVersion: info.flattr?.protocolVersion ?? null,
    currency: info.flattr?.currency ?? null,
    feeBp: info.flattr?.feeBasisPoints ?? null,
    timeZone: info.flattr?.timeZone ?? null,
    settlementDay: info.flattr?.settlementDay ?? null,
    // Only an actor on the server's own origin may speak for it.
    instanceActor:
      info.flattr?.instanceActor && hostOf(info.flattr.instanceActor) === host
        ? info.flattr.instanceActor
        : null,
    speaksFlattr: speaksFlattr(info, config),
    lastSeen: now,
    checkedAt: now,
    lastError: null,
  };
  const [row] = await db
    .insert(peers)
    .values({ host, firstSeen: now, ...values })
    // A host admitted ahead has no first_seen yet: this read is when we met it.
    .onConflictDoUpdate({
      target: peers.host,
      set: {
        ...values,
        firstSeen: sql`coalesce(${peers.firstSeen}, ${now.toISOString()}::timestamptz)`,
        // The stored inbox belongs to the actor it was looked up for.
        instanceInbox: sql`case when ${peers.instanceActor} is not distinct from excluded.instance_actor
                                then ${peers.instanceInbox} end`,
      },
    })
    .returning();
  if (!row) throw new Error("upsert of a peer returned no row");
  return row;
}

/**
 * Records a failed NodeInfo read: the server is remembered (first seen) with the error, and what we
 * knew of it before stays (a server that is down for a day does not stop being a peer).
 */
export async function recordPeerFailure(
  db: Db,
  clock: Clock,
  host: string,
  error: string,
): Promise<Peer> {
  const now = clock.now();
  const lastError = error.slice(0, 500);
  const [row] = await db
    .insert(peers)
    .values({ host, firstSeen: now, checkedAt: now, lastError })
    .onConflictDoUpdate({
      target: peers.host,
      set: {
        checkedAt: now,
        lastError,
        firstSeen: sql`coalesce(${peers.firstSeen}, ${now.toISOString()}::timestamptz)`,
      },
    })
    .returning();
  if (!row) throw new Error("upsert of a peer returned no row");
  return row;
}

export async function findPeer(db: Db, host: string): Promise<Peer | null> {
  const [row] = await db.select().from(peers).where(eq(peers.host, host));
  return row ?? null;
}

/** Every server seen, peers first, then by host. */
export async function listPeers(db: Db): Promise<Peer[]> {
  return db.select().from(peers).orderBy(sql`${peers.speaksFlattr} desc`, asc(peers.host));
}

/** Hosts whose last check is older than `maxAgeMs` (the daily refresh walks these). */
export async function peersDueForRefresh(
  db: Db,
  now: Date,
  maxAgeMs: number,
  limit = 100,
): Promise<string[]> {
  const before = new Date(now.getTime() - maxAgeMs).toISOString();
  const rows = await db
    .select({ host: peers.host })
    .from(peers)
    // A host admitted before we met it has never been read (checked_at null): read it first.
    .where(sql`${peers.checkedAt} is null or ${peers.checkedAt} < ${before}::timestamptz`)
    .orderBy(sql`${peers.checkedAt} asc nulls first`)
    .limit(limit);
  return rows.map((r) => r.host);
}

/**
 * Stores the inbox of `host`'s instance actor as a look-up of `actor` found it (the federation
 * adapter checks it is on the actor's origin), unless the NodeInfo names another actor by now.
 */
export async function rememberInstanceInbox(
  db: Db,
  host: string,
  actor: string,
  inbox: string,
): Promise<void> {
  await db
    .update(peers)
    .set({ instanceInbox: inbox })
    .where(sql`${peers.host} = ${host} and ${peers.instanceActor} = ${actor}`);
}

/** A delivery to the stored inbox failed: the next one looks the actor up again. */
export async function forgetInstanceInbox(db: Db, host: string, inbox: string): Promise<void> {
  await db
    .update(peers)
    .set({ instanceInbox: null })
    .where(sql`${peers.host} = ${host} and ${peers.instanceInbox} = ${inbox}`);
}
