import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { hostname } from "../peers/host.ts";
import { periodLock } from "./period-lock.ts";

/** `withdrawn_reason` of flattrs withdrawn because their creator's server was blocked. */
export const DOMAIN_BLOCKED = "domain_blocked";

/**
 * Withdraws every active flattr, in periods not yet sealed, of things whose remote owner is on
 * `host` or a subdomain of it (ports ignored, as blocks match). Run it in the transaction that
 * records the block. Each period is written under its shared advisory lock and only while it is
 * open, exactly as unflattr is (ADR 0002): a period the close has sealed keeps its flattrs, and
 * their shares wait for the settlement rules. Returns how many flattrs were withdrawn.
 */
export async function withdrawFlattrsOnBlockedHost(
  tx: Db,
  host: string,
  now: Date,
): Promise<number> {
  const name = hostname(host.toLowerCase());
  const onHost = sql`(h.name = ${name} or right(h.name, ${name.length + 1}) = ${`.${name}`})`;
  const affected = sql`
    select t.id from things t
    join remote_actors ra on ra.id = t.remote_owner_id
    cross join lateral (select regexp_replace(ra.host, ':[0-9]+$', '') as name) h
    where t.owner_kind = 'remote' and ${onHost}`;
  const periods = await queryRows<{ period: string }>(
    tx,
    sql`select distinct f.period from flattrs f
        where f.withdrawn_at is null and f.thing_id in (${affected})
        order by f.period`,
  );
  let withdrawn = 0;
  for (const { period } of periods) {
    const { lockClass, periodKey } = periodLock(period);
    const [gate] = await queryRows<{ gate: string | null }>(
      tx,
      sql`select flattr_period_gate(${lockClass}::int4, ${periodKey}::int4, ${period}) as gate`,
    );
    if (gate?.gate != null) continue; // sealed: the close owns these flattrs now
    const rows = await queryRows<{ n: string }>(
      tx,
      sql`with w as (
            update flattrs f set withdrawn_at = ${now.toISOString()}::timestamptz,
                                 withdrawn_reason = ${DOMAIN_BLOCKED}
            where f.period = ${period} and f.withdrawn_at is null
              and f.thing_id in (${affected})
            returning 1)
          select count(*)::text as n from w`,
    );
    withdrawn += Number(rows[0]?.n ?? 0);
  }
  return withdrawn;
}
