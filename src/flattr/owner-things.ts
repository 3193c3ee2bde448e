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
  /** Active flattrs, incoming ones from users of peers included. */
  flattrsThisPeriod: number;
  flattrsAllTime: number;
  /** Of those, incoming flattrs from users of other servers. */
  remoteFlattrsThisPeriod: number;
}

/** A user's things, newest first, with their active flattrs this period and all time. */
export async function listOwnedThings(
  db: Db,
  clock: Clock,
  config: Config,
  ownerId: number,
): Promise<{ period: string; things: OwnedThing[] }> {
  const period = currentPeriod(clock, config);
  const mine = sql`select id from things where owner_id = ${ownerId}::int8`;
  const rows = await queryRows<{
    id: string;
    kind: string;
    url: string;
    title: string;
    created_at: string | Date;
    this_period: string;
    all_time: string;
    remote_this_period: string;
  }>(
    db,
    sql`select t.id::text, t.kind, t.url, t.title, t.created_at,
               count(f.remote) filter (where f.period = ${period}::text)::text as this_period,
               count(f.remote)::text as all_time,
               count(f.remote) filter (where f.remote and f.period = ${period}::text)::text
                 as remote_this_period
        from things t
        left join (select thing_id, period, false as remote from flattrs
                   where withdrawn_at is null and thing_id in (${mine})
                   union all
                   select thing_id, period, true from incoming_flattrs
                   where withdrawn_at is null and thing_id in (${mine})) f
          on f.thing_id = t.id
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
      remoteFlattrsThisPeriod: Number(r.remote_this_period),
    })),
  };
}
