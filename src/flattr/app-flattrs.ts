import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { currentPeriod } from "./current-period.ts";
import { FlattrError } from "./errors.ts";
import { unflattr } from "./flattr.ts";

/*
 * What each OAuth app flattred for a user (flattrs.app_id: stars given in a Mastodon app), so
 * the apps page can show it, and withdrawing an app's flattrs of the open period when the user
 * revokes it — each through the unflattr door, as if the user took every star back.
 */

export interface AppFlattr {
  thingId: number;
  title: string;
  url: string;
}

/** The user's active flattrs of the current period made by each app, by app id. */
export async function appFlattrsThisPeriod(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
): Promise<Map<number, AppFlattr[]>> {
  const period = currentPeriod(clock, config);
  const rows = await queryRows<{ app_id: string; thing_id: string; title: string; url: string }>(
    db,
    sql`select f.app_id::text as app_id, t.id::text as thing_id, t.title, t.url
          from flattrs f join things t on t.id = f.thing_id
         where f.payer_id = ${payerId}::int8 and f.period = ${period}::text
           and f.withdrawn_at is null and f.app_id is not null
         order by f.id desc`,
  );
  const out = new Map<number, AppFlattr[]>();
  for (const r of rows) {
    const appId = Number(r.app_id);
    out.set(appId, [
      ...(out.get(appId) ?? []),
      { thingId: Number(r.thing_id), title: r.title, url: r.url },
    ]);
  }
  return out;
}

/**
 * Withdraws every flattr of the open period that `appId` made for the user (unflattr, one by
 * one: each a flattr the user could take back themselves). Answers how many were withdrawn;
 * none once the period is being closed.
 */
export async function withdrawAppFlattrs(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
  appId: number,
): Promise<number> {
  const flattrs = (await appFlattrsThisPeriod(db, clock, config, payerId)).get(appId) ?? [];
  let withdrawn = 0;
  for (const f of flattrs) {
    try {
      await unflattr(db, clock, config, payerId, f.thingId);
      withdrawn++;
    } catch (e) {
      if (!(e instanceof FlattrError)) throw e;
      if (e.code === "period_closed") break;
    }
  }
  return withdrawn;
}
