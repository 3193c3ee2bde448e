import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { currentPeriod } from "./current-period.ts";
import type { ThingKind } from "./things.ts";

export interface OwnedThing {
  id: number;
  kind: ThingKind;
  url: string;
  title: string;
  createdAt: Date;
  flattrsThisPeriod: number;
  flattrsAllTime: number;
}

/** A user's things, newest first, with their active flattrs this period and all time. */
export async function listOwnedThings(
  db: Db,
  clock: Clock,
  config: Config,
  ownerId: number,
): Promise<{ period: string; things: OwnedThing[] }> {
  const period = currentPeriod(clock, config);
  const rows = await queryRows<{
    id: string;
    kind: string;
    url: string;
    title: string;
    created_at: string | Date;
    this_period: string;
    all_time: string;
  }>(
    db,
    sql`select t.id::text, t.kind, t.url, t.title, t.created_at,
               count(f.id) filter (where f.period = ${period}::text)::text as this_period,
               count(f.id)::text as all_time
        from things t
        left join flattrs f on f.thing_id = t.id and f.withdrawn_at is null
        where t.owner_id = ${ownerId}::int8
        group by t.id
        order by t.created_at desc, t.id desc`,
  );
  return {
    period,
    things: rows.map((r) => ({
      id: Number(r.id),
      kind: r.kind as ThingKind,
      url: r.url,
      title: r.title,
      createdAt: new Date(r.created_at),
      flattrsThisPeriod: Number(r.this_period),
      flattrsAllTime: Number(r.all_time),
    })),
  };
}
