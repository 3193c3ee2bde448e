import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";

/*
 * Money from a peer is payable only when it has arrived (issue 10 point 4). What a peer's
 * accepted summaries credited to a creator here is covered, per peer, by the transfers we
 * recorded as received from it plus the credit limit its admin granted; coverage is spent on the
 * peer's summaries oldest first, and within a summary pro rata over its creators (rounded down,
 * so coverage is never overstated). The rest is "awaiting <peer>". The payable amount (payouts)
 * subtracts it.
 */

export interface Awaiting {
  peerHost: string;
  /** Minor units of this creator's earnings credited by the peer and not yet covered. */
  amount: bigint;
}

/** Per peer, the part of the creator's peer-credited earnings still awaiting that peer's money. */
export async function awaitingFromPeers(db: Db, userId: number): Promise<Awaiting[]> {
  const rows = await queryRows<{ peer_host: string; amount: string }>(
    db,
    sql`with coverage as (
          select p.host as peer_host,
                 p.credit_limit + coalesce((select sum(t.amount) from clearing_transfers t
                   where t.peer_host = p.host and t.source = 'ours' and t.direction = 'received'), 0)::int8
                   as covered
          from peers p),
        summaries as (
          select i.id, i.peer_host, i.total,
                 coalesce(sum(i.total) over (partition by i.peer_host order by i.period, i.sequence, i.id
                   rows between unbounded preceding and 1 preceding), 0)::int8 as before
          from settlement_summaries_in i where i.state = 'accepted'),
        parts as (
          select s.id, s.peer_host, s.total,
                 greatest(0, least(s.total, coalesce(c.covered, 0) - s.before))::int8 as covered_part
          from summaries s left join coverage c on c.peer_host = s.peer_host),
        mine as (
          select p.peer_host, sum(l.amount)::int8 as amount, p.covered_part, p.total
          from parts p join settlement_lines_in l on l.summary_id = p.id and l.user_id = ${userId}::int8
          group by p.id, p.peer_host, p.covered_part, p.total)
        select peer_host, sum(amount - (amount * covered_part) / total)::int8::text as amount
        from mine group by peer_host
        having sum(amount - (amount * covered_part) / total) > 0
        order by peer_host`,
  );
  return rows.map((r) => ({ peerHost: r.peer_host, amount: BigInt(r.amount) }));
}
