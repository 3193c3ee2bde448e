import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../http/env.ts";
import {
  isMarkerId,
  MARKER_TIMELINES,
  type Markers,
  type MarkerTimeline,
  readMarkers,
  saveMarkers,
} from "../../social/markers.ts";
import { callerUser, requireScope } from "../auth.ts";
import { MastodonError } from "../errors.ts";
import { asString, lenient, type Params, parseParams, readParams } from "../input.ts";

/*
 * `GET`/`POST /api/v1/markers` (docs.joinmastodon.org/methods/markers): the read positions of
 * `home` and `notifications`. Apps send `home[last_read_id]=…` as a form, or `{"home":
 * {"last_read_id": "…"}}` as JSON; both are read.
 */

const GetParams = v.object({ timeline: lenient.stringList() });

function markersJson(markers: Markers) {
  const out: Record<string, { last_read_id: string; version: number; updated_at: string }> = {};
  for (const t of MARKER_TIMELINES) {
    const m = markers[t];
    if (m)
      out[t] = {
        last_read_id: m.lastReadId,
        version: m.version,
        updated_at: m.updatedAt.toISOString(),
      };
  }
  return out;
}

/** The `last_read_id` sent for `timeline`, in either of the shapes apps use. */
function positionOf(params: Params, timeline: MarkerTimeline): string | undefined {
  const nested = params[timeline];
  const raw =
    nested && typeof nested === "object" && !Array.isArray(nested)
      ? (nested as Record<string, unknown>).last_read_id
      : params[`${timeline}[last_read_id]`];
  if (raw === undefined) return undefined;
  const id = asString(raw);
  if (id === undefined || !isMarkerId(id))
    throw new MastodonError(
      422,
      `Validation failed: ${timeline}.last_read_id must be a status or notification id`,
    );
  return id;
}

export function markerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/api/v1/markers", requireScope("read:statuses"), async (c) => {
    const user = await callerUser(c);
    const { timeline } = await parseParams(c, GetParams);
    const wanted = MARKER_TIMELINES.filter((t) => timeline?.includes(t));
    return c.json(markersJson(await readMarkers(c.var.deps.database.db, user.id, wanted)));
  });

  app.post("/api/v1/markers", requireScope("write:statuses"), async (c) => {
    const user = await callerUser(c);
    const params = await readParams(c);
    const positions: Partial<Record<MarkerTimeline, string>> = {};
    for (const t of MARKER_TIMELINES) {
      const id = positionOf(params, t);
      if (id !== undefined) positions[t] = id;
    }
    const { database, clock } = c.var.deps;
    return c.json(markersJson(await saveMarkers(database.db, clock, user.id, positions)));
  });

  return app;
}
