import { sql } from "drizzle-orm";
import type { Config } from "../../config/config.ts";
import { absoluteUrl } from "../../config/urls.ts";
import { type Db, queryRows } from "../../db/client.ts";
import type { SummaryIn } from "./received.ts";

/*
 * Claimed-pledge lines (issue 10 points 2, 3, 7; docs/PROTOCOL.md, "Claimed-pledge lines").
 *
 * Sender: held shares claimed through a peer (remote_shares state claimed, claimed_by_host the
 * peer) travel in the first summary to that peer built after they were claimed, whatever its
 * period: each share is tied to the summary that carries it (remote_shares.carried_by), set in
 * the summary's own transaction, so no share is ever in two summaries that may be accepted. One
 * line per claim: the claim's announcement id, the claimant's actor on the peer, the sum and the
 * flattr count of the shares. The peer's Accept settles them; a final Reject or a confirmed
 * withdrawal puts them back (carried_by null) for the next summary.
 *
 * Receiver: a claim line is believed only when it names a claim made here (claiming_host null)
 * that won, by the announcement we sent to that very peer, and credits that claim's user.
 */

/**
 * Writes the claimed-pledge lines of summary `summaryId` to `peerHost`, from index `firstIdx`,
 * taking every claimed share owed to that peer that no summary carries. Inside the building
 * transaction. Returns the number of lines written.
 */
export async function carryClaimedShares(
  tx: Db,
  config: Config,
  summaryId: number,
  peerHost: string,
  firstIdx: number,
): Promise<number> {
  const [n] = await queryRows<{ n: string }>(
    tx,
    sql`with taken as (
          update remote_shares s set carried_by = ${summaryId}::int8
          where s.claimed_by_host = ${peerHost} and s.state = 'claimed' and s.carried_by is null
            and s.currency = ${config.currency}
          returning s.claim_id, s.amount, s.flattrs),
        per_claim as (
          select c.announcement_id, c.claimant_uri, sum(t.amount)::int8 as amount,
                 sum(t.flattrs)::int4 as flattrs
          from taken t join pledge_claims c on c.id = t.claim_id
          group by c.id, c.announcement_id, c.claimant_uri),
        lines as (
          insert into settlement_lines_out (summary_id, idx, creator_uri, amount, flattrs, claim)
          select ${summaryId}::int8,
                 (${firstIdx}::int4 + row_number() over (order by announcement_id collate "C") - 1)::int4,
                 claimant_uri, amount, flattrs, announcement_id
          from per_claim
          returning 1)
        select count(*)::text as n from lines`,
  );
  return Number(n?.n ?? 0);
}

/** The peer accepted the summary: the shares it carries are settled. Inside its transaction. */
export async function settleCarried(tx: Db, summaryId: number): Promise<void> {
  await tx.execute(
    sql`update remote_shares set state = 'settled'
        where carried_by = ${summaryId}::int8 and state = 'claimed'`,
  );
}

/**
 * The summary will never be accepted (a final Reject, a confirmed withdrawal): its claimed
 * shares are put back, still owed to the peer, for the next summary to carry.
 */
export async function putBackCarried(tx: Db, summaryId: number): Promise<void> {
  await tx.execute(
    sql`update remote_shares set carried_by = null
        where carried_by = ${summaryId}::int8 and state = 'claimed'`,
  );
}

/**
 * Receiver: the first claim line of a received summary that does not name a claim made here
 * that won, announced to the summary's sender, by its announcement id, crediting the claimant.
 * Null when every claim line holds. Creators are resolved (user_id) before this runs.
 */
export async function badClaimLine(
  db: Db,
  config: Config,
  s: Pick<SummaryIn, "id" | "peerHost">,
): Promise<{ idx: number; claim: string; creator: string } | null> {
  const prefix = absoluteUrl(config, "/claims/");
  const [bad] = await queryRows<{ idx: number; claim: string; creator_uri: string }>(
    db,
    sql`select l.idx, l.claim, l.creator_uri from settlement_lines_in l
        where l.summary_id = ${s.id} and l.claim is not null
          and not exists (
            select 1 from pledge_claims c
            join claim_announcements x on x.claim_id = c.id and x.host = ${s.peerHost}
            where c.claiming_host is null and c.state = 'won' and c.user_id = l.user_id
              and l.claim = ${prefix} || c.id::text || '/announcement#' || ${s.peerHost}::text)
        order by l.idx limit 1`,
  );
  return bad ? { idx: Number(bad.idx), claim: bad.claim, creator: bad.creator_uri } : null;
}
