import { type SQL, sql } from "drizzle-orm";

/*
 * What became of a remote share, as SQL on a `remote_shares` row (ADR 0029). A share routed to a
 * peer is settled when the peer accepted our summary for its (peer, period): that is a fact of
 * the summary, not written into each of its (up to 100,000) shares when the Accept arrives. Its
 * row keeps state `open`; every reader that tells open from settled asks here. Rows written
 * `settled` before ADR 0029, and claimed shares settled by the summary that carried them
 * (claim-lines.ts), still say so themselves.
 */

/**
 * True when the peer accepted our summary for the (peer, period) of route-peer share `s`: an
 * index probe of settlement_summaries_out (peer_host, period). An accepted summary stays
 * accepted (sent.ts moves no summary out of `accepted`).
 */
export function peerSummaryAcceptedSql(s: SQL): SQL {
  return sql`exists (select 1 from settlement_summaries_out o_acc
    where o_acc.peer_host = ${s}.peer_host and o_acc.period = ${s}.period
      and o_acc.state = 'accepted')`;
}

/** The share's state as readers mean it: open, settled, claimed or returned. */
export function shareStateSql(s: SQL): SQL {
  return sql`case when ${s}.state = 'open' and ${s}.route = 'peer'
                   and ${peerSummaryAcceptedSql(s)} then 'settled'
                  else ${s}.state end`;
}
