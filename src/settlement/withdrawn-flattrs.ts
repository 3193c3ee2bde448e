import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { isPeriod, type Period } from "../periods/period.ts";

export interface WithdrawnFlattr {
  flattrId: number;
  thingId: number;
  title: string;
  url: string;
  createdAt: Date;
  withdrawnAt: Date;
  /** Why: unflattr, domain_blocked (the creator's server was blocked here), … */
  withdrawnReason: string;
}

/**
 * The payer's flattrs of a period that were withdrawn by something other than their own
 * unflattr (a blocked server, …), newest first: they are not in the period's split any more, and
 * the payer should see why. A flattr they withdrew themselves and then made again is not listed.
 */
export async function withdrawnFlattrs(
  db: Db,
  payerId: number,
  period: Period,
): Promise<WithdrawnFlattr[]> {
  if (!isPeriod(period)) throw new RangeError(`not a period: ${period}`);
  const rows = await queryRows<{
    flattr_id: number;
    thing_id: number;
    title: string;
    url: string;
    created_at: string | Date;
    withdrawn_at: string | Date;
    withdrawn_reason: string;
  }>(
    db,
    sql`select f.id as flattr_id, f.thing_id, t.title, t.url, f.created_at, f.withdrawn_at,
               f.withdrawn_reason
        from flattrs f join things t on t.id = f.thing_id
        where f.payer_id = ${payerId}::int8 and f.period = ${period}::text
          and f.withdrawn_at is not null
          and f.withdrawn_reason is not null and f.withdrawn_reason <> 'unflattr'
          and not exists (select 1 from flattrs a
                          where a.payer_id = f.payer_id and a.thing_id = f.thing_id
                            and a.period = f.period and a.withdrawn_at is null)
        order by f.withdrawn_at desc, f.id desc`,
  );
  return rows.map((r) => ({
    flattrId: Number(r.flattr_id),
    thingId: Number(r.thing_id),
    title: r.title,
    url: r.url,
    createdAt: new Date(r.created_at),
    withdrawnAt: new Date(r.withdrawn_at),
    withdrawnReason: r.withdrawn_reason,
  }));
}
