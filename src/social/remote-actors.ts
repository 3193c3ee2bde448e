import { eq, sql } from "drizzle-orm";
import { uniqueViolation } from "../accounts/errors.ts";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { remoteActors } from "../db/schema/index.ts";
import { hostOf } from "../peers/host.ts";
import { htmlToText, sanitizeRemoteHtml } from "./sanitize.ts";

/*
 * The cache of remote actors. The federation adapter turns a fetched or delivered actor into
 * RemoteActorData (no Fedify types here) and stores it with upsertRemoteActor; everything else
 * reads rows. Remote text is sanitised on the way in.
 */

/** How long a cached actor is trusted before a look-up fetches it again. */
export const ACTOR_STALE_AFTER_MS = 24 * 3600 * 1000;

export type RemoteActorType = "Person" | "Service" | "Application" | "Group" | "Organization";

/** An actor as another server describes it. */
export interface RemoteActorData {
  uri: string;
  type: RemoteActorType;
  /** `user@host`, when WebFinger confirmed it (or preferredUsername@host of the actor's origin). */
  handle: string | null;
  name: string;
  summaryHtml: string;
  url: string | null;
  iconUrl: string | null;
  inboxUrl: string | null;
  sharedInboxUrl: string | null;
  followersUrl: string | null;
  paymentUrl: string | null;
  /**
   * Profile fields (PropertyValue attachments) as fetched, HTML values: read by the proof of a
   * claim (src/settlement/claims.ts), never stored.
   */
  fields?: { name: string; value: string }[];
  /**
   * The `totalItems` its collections published, each null when not published or not readable.
   * Absent when they were not fetched this time (a delivery without a look-up): the counts
   * stored before are kept then.
   */
  counts?: RemoteActorCounts;
}

export interface RemoteActorCounts {
  followers: number | null;
  following: number | null;
  statuses: number | null;
}

export type RemoteActor = typeof remoteActors.$inferSelect;

const MAX_NAME = 200;
const MAX_SUMMARY = 20_000;
const MAX_URL = 2048;

/** The largest count a row holds (int4); a server claiming more is not believed. */
const MAX_COUNT = 2 ** 31 - 1;

function count(v: number | null): number | null {
  return v !== null && Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT ? v : null;
}

function url(v: string | null): string | null {
  if (v === null || v.length > MAX_URL) return null;
  return hostOf(v) === null ? null : v;
}

/** The row's columns from an actor's data: sanitised, lengths bounded, URLs http(s) only. */
function columns(data: RemoteActorData) {
  const host = hostOf(data.uri);
  if (host === null) throw new RangeError(`not an actor id: ${data.uri.slice(0, 100)}`);
  return {
    host,
    handle: data.handle ? data.handle.slice(0, 300) : null,
    type: data.type,
    name: htmlToText(data.name).slice(0, MAX_NAME),
    summaryHtml: sanitizeRemoteHtml(data.summaryHtml.slice(0, MAX_SUMMARY)),
    url: url(data.url),
    iconUrl: url(data.iconUrl),
    inboxUrl: url(data.inboxUrl),
    sharedInboxUrl: url(data.sharedInboxUrl),
    followersUrl: url(data.followersUrl),
    paymentUrl: url(data.paymentUrl),
    ...(data.counts
      ? {
          followersCount: count(data.counts.followers),
          followingCount: count(data.counts.following),
          statusesCount: count(data.counts.statuses),
        }
      : {}),
  };
}

/**
 * Stores what we just learned about an actor (fetched now): inserts it, or updates the cached row
 * and marks it fetched. A handle another actor held before moves to this one (accounts move).
 *
 * Deliveries and look-ups of one actor arrive at once (a new or renamed account posts to several
 * inboxes here), so two of these may race for the same handle. A transaction-scoped advisory lock
 * on the handle serialises them (the last writer's view wins, as it would one after the other);
 * a unique violation that still slips through (a handle taken between statements by a caller
 * that holds no lock) is retried, and the actor is finally stored without its handle rather than
 * failing the delivery. Inside a caller's transaction this is a savepoint.
 */
export async function upsertRemoteActor(
  db: Db,
  clock: Clock,
  data: RemoteActorData,
): Promise<RemoteActor> {
  const values = columns(data);
  for (let attempt = 0; ; attempt++) {
    const handle = attempt < HANDLE_ATTEMPTS ? values.handle : null;
    try {
      return await db.transaction((tx) =>
        storeActor(tx, clock.now(), data.uri, { ...values, handle }),
      );
    } catch (error) {
      if (!uniqueViolation(error) || attempt >= HANDLE_ATTEMPTS) throw error;
    }
  }
}

/** Attempts with the handle before the actor is stored without it. */
const HANDLE_ATTEMPTS = 3;

async function storeActor(
  tx: Db,
  now: Date,
  uri: string,
  values: ReturnType<typeof columns>,
): Promise<RemoteActor> {
  if (values.handle) {
    await tx.execute(
      sql`select pg_advisory_xact_lock(${HANDLE_LOCK_CLASS}::int4, hashtext(lower(${values.handle})))`,
    );
    await tx
      .update(remoteActors)
      .set({ handle: null })
      .where(
        sql`lower(${remoteActors.handle}) = lower(${values.handle}) and ${remoteActors.uri} <> ${uri}`,
      );
  }
  const [row] = await tx
    .insert(remoteActors)
    .values({ id: newId(now), uri, ...values, fetchedAt: now })
    .onConflictDoUpdate({
      target: remoteActors.uri,
      set: { ...values, fetchedAt: now, goneAt: null },
    })
    .returning();
  if (!row) throw new Error("upsert of a remote actor returned no row");
  return row;
}

/** The first key of the two-key advisory lock on a remote handle (arbitrary, unique in this code). */
const HANDLE_LOCK_CLASS = 0x7265_6d61; // "rema"

export async function findRemoteActorByUri(db: Db, uri: string): Promise<RemoteActor | null> {
  const [row] = await db.select().from(remoteActors).where(eq(remoteActors.uri, uri));
  return row ?? null;
}

export async function findRemoteActorById(db: Db, id: bigint): Promise<RemoteActor | null> {
  const [row] = await db.select().from(remoteActors).where(eq(remoteActors.id, id));
  return row ?? null;
}

/** By `user@host` (case-insensitive, without a leading @). */
export async function findRemoteActorByHandle(db: Db, handle: string): Promise<RemoteActor | null> {
  const h = handle.replace(/^@/, "");
  const [row] = await db
    .select()
    .from(remoteActors)
    .where(sql`lower(${remoteActors.handle}) = lower(${h})`);
  return row ?? null;
}

/** The actor was deleted on its server (Delete, or 410 on refresh): keep the row, mark it gone. */
export async function markActorGone(db: Db, clock: Clock, uri: string): Promise<void> {
  await db
    .update(remoteActors)
    .set({ goneAt: clock.now() })
    .where(sql`${remoteActors.uri} = ${uri} and ${remoteActors.goneAt} is null`);
}

/** Whether a cached actor should be fetched again before it is relied on. */
export function isStale(actor: Pick<RemoteActor, "fetchedAt">, now: Date): boolean {
  return now.getTime() - actor.fetchedAt.getTime() > ACTOR_STALE_AFTER_MS;
}
