import { and, eq, inArray, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { markers } from "../db/schema/index.ts";

/*
 * Mastodon's markers: where a user stopped reading their home timeline and their notifications,
 * so that another app (or the same one on another device) starts there. Ids are kept as the
 * numeric strings apps send; `version` counts updates.
 */

export const MARKER_TIMELINES = ["home", "notifications"] as const;
export type MarkerTimeline = (typeof MARKER_TIMELINES)[number];

export interface Marker {
  lastReadId: string;
  version: number;
  updatedAt: Date;
}

export type Markers = Partial<Record<MarkerTimeline, Marker>>;

/** A status or notification id as apps send them: a numeric string that fits an int8. */
export function isMarkerId(id: string): boolean {
  return /^[0-9]{1,19}$/.test(id) && BigInt(id) <= 9223372036854775807n;
}

export async function readMarkers(
  db: Db,
  userId: number,
  timelines: readonly MarkerTimeline[],
): Promise<Markers> {
  const out: Markers = {};
  if (timelines.length === 0) return out;
  const rows = await db
    .select()
    .from(markers)
    .where(and(eq(markers.userId, userId), inArray(markers.timeline, [...timelines])));
  for (const r of rows)
    out[r.timeline as MarkerTimeline] = {
      lastReadId: r.lastReadId,
      version: r.version,
      updatedAt: r.updatedAt,
    };
  return out;
}

/** Saves the positions given (ids checked with isMarkerId by the caller) and returns them. */
export async function saveMarkers(
  db: Db,
  clock: Clock,
  userId: number,
  positions: Partial<Record<MarkerTimeline, string>>,
): Promise<Markers> {
  const now = clock.now();
  const timelines = MARKER_TIMELINES.filter((t) => positions[t] !== undefined);
  for (const timeline of timelines) {
    const lastReadId = positions[timeline]!;
    await db
      .insert(markers)
      .values({ userId, timeline, lastReadId, version: 0, updatedAt: now })
      .onConflictDoUpdate({
        target: [markers.userId, markers.timeline],
        set: { lastReadId, version: sql`${markers.version} + 1`, updatedAt: now },
      });
  }
  return readMarkers(db, userId, timelines);
}
