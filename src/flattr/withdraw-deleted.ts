import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { periodLock } from "./period-lock.ts";

/** `withdrawn_reason` of flattrs withdrawn because the payer or the creator deleted their account. */
export const ACCOUNT_DELETED = "account_deleted";

/**
 * Withdraws every active flattr, in periods not yet sealed, that the user made or that was made
 * of the user's things. Run it in the transaction that deletes the account. As in
 * withdraw-blocked.ts (and unflattr), each period is written under its shared advisory lock and
 * only while it is open (ADR 0002): a sealed period keeps its flattrs, and what they pay arrives
 * in the deleted account's ledger accounts, which the admin sees (/admin/users). Returns how many
 * flattrs were withdrawn.
 */
export async function withdrawFlattrsOfDeletedUser(
  tx: Db,
  userId: number,
  now: Date,
): Promise<number> {
  const affected = sql`(f.payer_id = ${userId} or f.thing_id in (
      select t.id from things t where t.owner_kind = 'local' and t.owner_id = ${userId}))`;
  const periods = await queryRows<{ period: string }>(
    tx,
    sql`select distinct f.period from flattrs f
        where f.withdrawn_at is null and ${affected} order by f.period`,
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
                                 withdrawn_reason = ${ACCOUNT_DELETED}
            where f.period = ${period} and f.withdrawn_at is null and ${affected}
            returning 1)
          select count(*)::text as n from w`,
    );
    withdrawn += Number(rows[0]?.n ?? 0);
  }
  return withdrawn;
}
