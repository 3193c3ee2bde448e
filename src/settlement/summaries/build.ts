import { createHash } from "node:crypto";
import { getLogger } from "@logtape/logtape";
import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import { likeUrl } from "../../config/urls.ts";
import { type Db, queryRows } from "../../db/client.ts";
import { summariesOut } from "../../db/schema/index.ts";
import { currencyExponent } from "../../money/currency.ts";
import { type SummaryLine, summaryHash } from "./canonical.ts";
import { carryClaimedShares } from "./claim-lines.ts";
import { LINES_PAGE_SIZE } from "./reasons.ts";

const logger = getLogger(["fediflattr", "settlement", "summaries"]);

/*
 * Building the summaries we send (issue 10 point 2). Once a period's close has finished, every
 * admitted peer with shares routed to it (remote_shares, route peer, still open) gets one summary
 * for (peer, period): its lines (one per creator, with the Likes the shares pay) are written once
 * by a set-based INSERT … SELECT and frozen; its sequence continues the chain to that peer and
 * its hash covers the previous summary's hash. Building twice builds nothing new. Every summary
 * built also carries, after the creators' lines, the held shares claimed through that peer that
 * no summary carries yet (claim-lines.ts); when they wait and the latest closed period has no
 * summary to that peer, one is built for it with only those lines.
 */

export type SummaryOut = typeof summariesOut.$inferSelect;

/** Lines of a built summary, in order, `limit` from `offset` (the collection's pages). */
export async function summaryLines(
  db: Db,
  summaryId: number,
  offset: number,
  limit: number,
): Promise<SummaryLine[]> {
  const rows = await queryRows<{
    creator_uri: string;
    amount: string;
    flattrs: number;
    like_ids: string[] | null;
    claim: string | null;
  }>(
    db,
    sql`select creator_uri, amount::text, flattrs, like_ids, claim from settlement_lines_out
        where summary_id = ${summaryId} and idx >= ${offset} and idx < ${offset + limit}
        order by idx`,
  );
  return rows.map((r) =>
    r.claim !== null
      ? { creator: r.creator_uri, amount: BigInt(r.amount), flattrs: r.flattrs, claim: r.claim }
      : {
          creator: r.creator_uri,
          amount: BigInt(r.amount),
          flattrs: r.flattrs,
          likes: r.like_ids ?? [],
        },
  );
}

/** formatAmount(amount, currency) of a line's (positive) amount, in SQL. */
function amountTextSql(currency: string) {
  const exp = currencyExponent(currency);
  const unit = (10n ** BigInt(exp)).toString();
  return exp === 0
    ? sql`amount::text`
    : sql`(amount / ${unit}::int8)::text || '.' || lpad((amount % ${unit}::int8)::text, ${exp}::int4, '0')`;
}

/**
 * One page of a built summary's lines as the collection serves them (`limit` from `offset`): the
 * JSON text of the `lines` array, written by PostgreSQL (lineJson's shape, keys in another order
 * and with spaces, which JSON does not mind). Rows read into JavaScript objects and written out
 * again cost the sender's process as much as the receiver's reading of them.
 */
export async function summaryLinesJson(
  db: Db,
  summaryId: number,
  offset: number,
  limit: number,
  currency: string,
): Promise<string> {
  const amount = amountTextSql(currency);
  const [page] = await queryRows<{ lines: string }>(
    db,
    sql`select coalesce(json_agg(
              case when claim is null
                   then json_build_object('creator', creator_uri, 'amount', ${amount},
                          'flattrs', flattrs, 'likes', coalesce(like_ids, '{}'::text[]))
                   else json_build_object('creator', creator_uri, 'amount', ${amount},
                          'flattrs', flattrs, 'claim', claim) end
              order by idx), '[]'::json)::text as lines
        from settlement_lines_out
        where summary_id = ${summaryId} and idx >= ${offset} and idx < ${offset + limit}`,
  );
  return page?.lines ?? "[]";
}

/**
 * One page of a built summary's lines as the collection serves them: the JSON text of its `lines`
 * array. Summaries built since settlement_pages_out exists have it stored (their canonical lines,
 * one a line: each newline becomes the comma between two array elements, as canonical JSON has
 * no raw newline inside a string); older ones are written from their lines (summaryLinesJson).
 */
export async function summaryPageJson(
  db: Db,
  summaryId: number,
  page: number,
  currency: string,
): Promise<string> {
  const [kept] = await queryRows<{ lines: string }>(
    db,
    sql`select lines from settlement_pages_out where summary_id = ${summaryId} and page = ${page}`,
  );
  if (kept) return `[${kept.lines.slice(0, -1).replaceAll("\n", ",")}]`;
  return summaryLinesJson(db, summaryId, page * LINES_PAGE_SIZE, LINES_PAGE_SIZE, currency);
}

/**
 * Deletes the kept pages of summaries the peer has accepted (ADR 0034): `accepted` is final
 * (ADR 0029) and the peer has its copy, so the pages (~15 MB for 100,000 lines) would only wait
 * for a fetch that, if it ever comes, is served from the lines (summaryPageJson's fallback).
 * Run by housekeeping, not in the Accept's transaction, which stays one row's update.
 */
export async function pruneAcceptedSummaryPages(db: Db): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with gone as (
          delete from settlement_pages_out p using settlement_summaries_out s
          where p.summary_id = s.id and s.state = 'accepted' returning 1)
        select count(*)::int4 as n from gone`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * The lines hash of a built summary (docs/PROTOCOL.md), with its line count, flattrs and total.
 * PostgreSQL writes each line's canonical JSON (canonical.ts's lineCanonical in SQL: to_json
 * escapes strings as JSON.stringify does, array_to_json writes no whitespace) and hands it over
 * a page of LINES_PAGE_SIZE lines at a time as one text, which is hashed here. Reading the lines
 * back as rows and writing them out in JavaScript cost 1–2 s for 100,000 lines (bench/README.md);
 * a test holds the two forms equal on awkward strings and amounts. With `keepPages` each page's
 * text is also stored (settlement_pages_out) for the collection to serve as it is.
 */
export async function hashStoredLines(
  db: Db,
  summaryId: number,
  currency: string,
  keepPages = false,
): Promise<{ hash: string; count: number; flattrs: number; total: bigint }> {
  const amount = amountTextSql(currency);
  const hash = createHash("sha256");
  let count = 0;
  let flattrs = 0;
  let total = 0n;
  const PAGE = LINES_PAGE_SIZE;
  for (let page = 0; ; page++) {
    const offset = page * PAGE;
    const [row] = await queryRows<{
      text: string | null;
      n: number;
      flattrs: string;
      total: string;
    }>(
      db,
      sql`with p as (
            select string_agg(
                   '{"amount":"' || ${amount} || '",'
                   || case when claim is not null then '"claim":' || to_json(claim)::text || ',' else '' end
                   || '"creator":' || to_json(creator_uri)::text || ',"flattrs":' || flattrs::text
                   || case when claim is null
                           then ',"likes":' || array_to_json(coalesce(like_ids, '{}'::text[]))::text
                           else '' end
                   || E'}\n', '' order by idx) as text,
                   count(*)::int4 as n, coalesce(sum(flattrs), 0)::text as flattrs,
                   coalesce(sum(amount), 0)::text as total
            from settlement_lines_out
            where summary_id = ${summaryId} and idx >= ${offset} and idx < ${offset + PAGE}),
          kept as (
            insert into settlement_pages_out (summary_id, page, lines)
            select ${summaryId}, ${page}, text from p where ${keepPages}::boolean and text is not null)
          select text, n, flattrs, total from p`,
    );
    const n = Number(row?.n ?? 0);
    if (n > 0) hash.update(row!.text ?? "", "utf8");
    count += n;
    flattrs += Number(row?.flattrs ?? 0);
    total += BigInt(row?.total ?? 0);
    if (n < PAGE) break;
  }
  return { hash: hash.digest("hex"), count, flattrs, total };
}

/** Builds the summary of (peer, period), or returns the one built before; null: nothing to send. */
export async function buildSummary(
  db: Db,
  clock: Clock,
  config: Config,
  peerHost: string,
  period: string,
): Promise<SummaryOut | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`summary-out:${peerHost}`}))`);
    const [built] = await tx
      .select()
      .from(summariesOut)
      .where(and(eq(summariesOut.peerHost, peerHost), eq(summariesOut.period, period)));
    if (built) return built;
    const [last] = await queryRows<{ sequence: number; hash: string }>(
      tx,
      sql`select sequence, hash from settlement_summaries_out where peer_host = ${peerHost}
          order by sequence desc limit 1`,
    );
    const sequence = (last?.sequence ?? 0) + 1;
    const now = clock.now();
    // Placeholders until the lines are written and hashed (same transaction).
    const [row] = await tx
      .insert(summariesOut)
      .values({
        peerHost,
        period,
        sequence,
        prevHash: last?.hash ?? null,
        hash: "",
        currency: config.currency,
        total: 0n,
        lineCount: 0,
        flattrCount: 0,
        linesHash: "",
        createdAt: now,
        nextAttemptAt: now,
      })
      .returning();
    const id = row!.id;
    // One line per creator: the sum of every payer's share, the Likes sorted (a stable order).
    // One aggregation over the shares' unnested Likes (amount and flattrs counted once per share,
    // at its first Like): no subquery per creator and no join of two aggregates, whose plans
    // go quadratic when the shares the close just wrote have no statistics yet
    // (bench/README.md, "summary").
    const [n] = await queryRows<{ n: string }>(
      tx,
      sql`with per_creator as (
            select s.remote_actor_id,
                   sum(s.amount) filter (where l.ord = 1)::int8 as amount,
                   sum(s.flattrs) filter (where l.ord = 1)::int4 as flattrs,
                   array_agg(${likeUrl(config, "")} || l.id order by l.id collate "C") as like_ids
            from remote_shares s
            cross join lateral unnest(s.like_ids) with ordinality as l(id, ord)
            where s.period = ${period} and s.route = 'peer' and s.peer_host = ${peerHost}
              and s.state = 'open'
            group by s.remote_actor_id),
          lines as (
            insert into settlement_lines_out (summary_id, idx, creator_uri, amount, flattrs, like_ids)
            select ${id}, (row_number() over (order by a.uri collate "C") - 1)::int4, a.uri,
                   c.amount, c.flattrs, c.like_ids
            from per_creator c join remote_actors a on a.id = c.remote_actor_id
            returning 1)
          select count(*)::text as n from lines`,
    );
    const flattrLines = Number(n?.n ?? 0);
    const claimLines = await carryClaimedShares(tx, config, id, peerHost, flattrLines);
    if (flattrLines + claimLines === 0) {
      await tx.delete(summariesOut).where(eq(summariesOut.id, id));
      return null;
    }
    const hashed = await hashStoredLines(tx, id, config.currency, true);
    const fields = {
      period,
      currency: config.currency,
      sequence,
      previous: last?.hash ?? null,
      total: hashed.total,
      lineCount: hashed.count,
      flattrCount: hashed.flattrs,
      linesHash: hashed.hash,
    };
    const [done] = await tx
      .update(summariesOut)
      .set({
        hash: summaryHash(fields),
        total: fields.total,
        lineCount: fields.lineCount,
        flattrCount: fields.flattrCount,
        linesHash: fields.linesHash,
      })
      .where(eq(summariesOut.id, id))
      .returning();
    logger.info("Built summary {sequence} to {peer} for {period}: {total} in {lines} line(s)", {
      sequence,
      peer: peerHost,
      period,
      total: fields.total.toString(),
      lines: fields.lineCount,
    });
    return done!;
  });
}

/**
 * Builds every summary due: for each closed period with open shares routed to an admitted peer
 * that has no summary yet, and for the latest closed period of an admitted peer owed claimed
 * shares no summary carries (when that period has no summary to it yet; else they wait for the
 * next close). Returns those built now.
 */
export async function buildDueSummaries(
  db: Db,
  clock: Clock,
  config: Config,
): Promise<SummaryOut[]> {
  const due = await queryRows<{ peer_host: string; period: string }>(
    db,
    // Closed periods × admitted peers without a summary, each asked for one open share through
    // remote_shares_peer: a settled share stays `open` (ADR 0029), so reading the open shares
    // first would read every peer share ever made (0.4–0.7 s at 100,000 a month already). A
    // lateral LIMIT 1, not EXISTS: the planner turns an EXISTS into a join that reads them all.
    sql`select p.host as peer_host, c.period from closed_periods c
        join peers p on p.admitted_at is not null and p.suspended_at is null
        cross join lateral (select 1 from remote_shares s
                            where s.route = 'peer' and s.peer_host = p.host
                              and s.period = c.period and s.state = 'open'
                            limit 1) one
        where c.closed_at is not null
          and not exists (select 1 from settlement_summaries_out o
                          where o.peer_host = p.host and o.period = c.period)
        union
        select distinct s.claimed_by_host, l.period from remote_shares s
        cross join (select max(period) as period from closed_periods
                    where closed_at is not null) l
        join peers p on p.host = s.claimed_by_host
          and p.admitted_at is not null and p.suspended_at is null
        where s.state = 'claimed' and s.claimed_by_host is not null and s.carried_by is null
          and l.period is not null
          and not exists (select 1 from settlement_summaries_out o
                          where o.peer_host = s.claimed_by_host and o.period = l.period)
        order by period, peer_host`,
  );
  const built: SummaryOut[] = [];
  for (const d of due) {
    const s = await buildSummary(db, clock, config, d.peer_host, d.period);
    if (s) built.push(s);
  }
  return built;
}
