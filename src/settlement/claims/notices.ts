import { sql } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import { type Db, queryRows } from "../../db/client.ts";
import { currentPeriod } from "../../flattr/current-period.ts";
import { formatMoney } from "../../money/format.ts";

/*
 * PLEDGE_NOTICE (off by default): once a month, each unclaimed creator with money held for them
 * hears of it in one direct mention from the instance actor, saying where to claim it. Exactly
 * once per (creator, month): the pledge_notices row is inserted in the transaction that queues
 * the mention, and a creator whose row exists (this worker or another) is skipped.
 */

export interface PledgeNotice {
  actorUri: string;
  handle: string | null;
  inboxUrl: string;
  month: string;
  /** What the mention says. */
  text: string;
}

/**
 * Claims this month's notices (inserting their rows) and returns them, to be queued in the same
 * transaction `tx`. Empty when PLEDGE_NOTICE is off.
 */
export async function takePledgeNotices(
  tx: Db,
  clock: Clock,
  config: Config,
  claimUrl: string,
  limit = 100,
): Promise<PledgeNotice[]> {
  if (!config.pledgeNotice) return [];
  const month = currentPeriod(clock, config);
  const rows = await queryRows<{
    uri: string;
    handle: string | null;
    inbox: string;
    held: string;
  }>(
    tx,
    sql`with due as (
          select s.remote_actor_id, sum(s.amount) as held
          from remote_shares s
          where s.route = 'unclaimed' and s.state = 'open' and s.currency = ${config.currency}::text
            and not exists (select 1 from pledge_claims c
                            where c.remote_actor_id = s.remote_actor_id and c.state = 'won')
          group by s.remote_actor_id
          having sum(s.amount) > 0
        ),
        taken as (
          insert into pledge_notices (remote_actor_id, period, sent_at)
          select d.remote_actor_id, ${month}::text, ${clock.now().toISOString()}::timestamptz
          from due d join remote_actors a on a.id = d.remote_actor_id
          where coalesce(a.inbox_url, a.shared_inbox_url) is not null
          order by d.remote_actor_id
          limit ${limit}::int4
          on conflict (remote_actor_id, period) do nothing
          returning remote_actor_id
        )
        select a.uri, a.handle, coalesce(a.inbox_url, a.shared_inbox_url) as inbox, d.held::text
        from taken t join due d on d.remote_actor_id = t.remote_actor_id
        join remote_actors a on a.id = t.remote_actor_id
        order by a.id`,
  );
  return rows.map((r) => ({
    actorUri: r.uri,
    handle: r.handle,
    inboxUrl: r.inbox,
    month,
    text:
      `People on ${config.origin.host} flattred your posts: ` +
      `${formatMoney(BigInt(r.held), config.currency)} is held for you. ` +
      `To receive it, claim this account from a Fediflattr account: ${claimUrl} ` +
      `(unclaimed money returns to the people who gave it ${config.pledgeHoldMonths} months after its month).`,
  }));
}
