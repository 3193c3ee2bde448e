import { getLogger } from "@logtape/logtape";
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import { actorUrl } from "../../config/urls.ts";
import { type Db, queryRows } from "../../db/client.ts";
import { summariesIn, summaryLinesIn } from "../../db/schema/index.ts";
import { clearingAccountSql, earningsAccountSql } from "../../ledger/index.ts";
import { admitted } from "../../peers/admission.ts";
import { findPeer } from "../../peers/peers.ts";
import { LinesHasher, type SummaryLine } from "./canonical.ts";
import { badClaimLine } from "./claim-lines.ts";
import { type LikeFetcher, recordMissingLikes } from "./fetched-likes.ts";
import { notAdmittedAnswer } from "./not-admitted.ts";
import { MAX_SUMMARY_LINES, type RejectReason } from "./reasons.ts";
import type { SummaryIn } from "./received.ts";

const logger = getLogger(["fediflattr", "settlement", "summaries"]);

/*
 * Deciding a received summary (issue 10 point 3), in the worker. The checks, in order: the peer
 * is admitted (else the summary waits, unanswered, until it is, or is refused `not_admitted`:
 * not-admitted.ts); its size; its lines (fetched from the sender) match the line hash and sum to
 * the totals; the currency is ours; the sequence and previous hash continue the chain (a summary
 * ahead of its predecessor is parked); every creator is a local user; each line's Likes are ones
 * we received (or fetched from their ids: fetched-likes.ts) from that peer, for that creator's
 * things, in that period, and that many. Then, in one transaction: each line's amount moves
 * clearing:<peer> → earnings:<creator>, the summary is accepted, its Accept is owed. Any
 * failure: nothing is credited, a Reject with the reason is owed.
 */

/** The lines could not be fetched now (the sender is down): retried later, nothing decided. */
export class LinesUnavailable extends Error {}
/** The sender's lines collection is malformed: refused `total` (the lines are not as stated). */
export class MalformedLines extends Error {}

export type Decision =
  | { state: "accepted" }
  | { state: "rejected"; reason: RejectReason; final: boolean; message: string }
  | { state: "parked"; message: string }
  | { state: "waiting"; message: string };

const RETRY_MAX_MS = 6 * 3600_000;
const retryAt = (now: Date, attempts: number) =>
  new Date(now.getTime() + Math.min(30_000 * 2 ** attempts, RETRY_MAX_MS));

async function wakeSuccessor(db: Db, now: Date, s: SummaryIn): Promise<void> {
  await db
    .update(summariesIn)
    .set({ nextAttemptAt: now })
    .where(
      and(
        eq(summariesIn.peerHost, s.peerHost),
        eq(summariesIn.sequence, s.sequence + 1),
        eq(summariesIn.state, "parked"),
      ),
    );
}

async function decide(
  db: Db,
  now: Date,
  s: SummaryIn,
  d: Exclude<Decision, { state: "accepted" }>,
): Promise<Decision> {
  if (d.state === "rejected") {
    await db
      .update(summariesIn)
      .set({
        state: "rejected",
        reason: d.reason,
        final: d.final,
        message: d.message,
        decidedAt: now,
        answerDueAt: now,
        nextAttemptAt: null,
      })
      .where(eq(summariesIn.id, s.id));
    // A successor parked behind this one may now be decided (its chain names a decided summary).
    await wakeSuccessor(db, now, s);
    logger.info("Rejected summary {id} from {peer} ({reason}): {message}", {
      id: s.id,
      peer: s.peerHost,
      reason: d.reason,
      message: d.message,
    });
  } else {
    // Parked: woken when its predecessor is decided. Waiting (not admitted): looked at hourly.
    await db
      .update(summariesIn)
      .set({
        state: d.state === "parked" ? "parked" : "received",
        reason: d.state === "parked" ? "sequence" : "not_admitted",
        message: d.message,
        attempts: sql`${summariesIn.attempts} + 1`,
        nextAttemptAt:
          d.state === "parked"
            ? new Date(now.getTime() + RETRY_MAX_MS)
            : new Date(now.getTime() + 3600_000),
      })
      .where(eq(summariesIn.id, s.id));
  }
  return d;
}

const reject = (reason: RejectReason, message: string, final = true) =>
  ({ state: "rejected", reason, final, message }) as const;

/** The first line whose Likes fail the check (likesCheck's words for it). */
interface BadLikes {
  idx: number;
  creator_uri: string;
  n: string;
  ok: string;
}

/** What storing the lines learnt on the way, so that the checks need not read them all again. */
interface Stored {
  /** Lines whose creator is no local user. */
  unmatched: number;
  /** Claimed-pledge lines. */
  claims: number;
  /** The first line (by index) whose Likes are not that many flattrs received for it. */
  badLikes: BadLikes | null;
  /** Whether a Like is named twice (in one line or in two). */
  likeNamedTwice: boolean;
  /**
   * Whether two lines name the same creator. When none do, the apply credits each line as it is
   * (distinct actor ids are distinct users: usernames are unique), without grouping 100,000 rows.
   */
  creatorNamedTwice: boolean;
}

/**
 * The Likes check of lines, as CTEs ending in `bad` (the first line that fails, by index): each
 * Like an active incoming flattr from this peer, of this period, of a thing of the line's
 * creator, and as many as the line's flattr count. `lines` is a relation aliased `r` with idx,
 * creator, user_id, flattrs and likes: a page's rows as the page goes in, or the stored lines
 * (likesCheck). One definition for both, so the two can never check different things. `named`
 * is read twice, so PostgreSQL materializes it once.
 */
function likesOfLines(s: SummaryIn, lines: SQL) {
  return sql`named as (
          select r.idx, r.creator, r.user_id, r.flattrs, cardinality(r.likes) as n, u.like_id
          from ${lines} left join lateral unnest(r.likes) as u(like_id) on true
          where r.likes is not null),
        per_line as (
          select n.idx, n.creator, n.flattrs, n.n,
                 count(distinct i.id) filter (where t.id is not null) as ok
          from named n
          left join incoming_flattrs i on i.activity_id = n.like_id and i.peer_host = ${s.peerHost}
            and i.period = ${s.period} and i.withdrawn_at is null
          left join things t on t.id = i.thing_id and t.owner_kind = 'local'
            and t.owner_id = n.user_id
          group by n.idx, n.creator, n.flattrs, n.n),
        bad as (
          select idx, creator, n, ok from per_line
          where ok <> flattrs or n <> flattrs
          order by idx limit 1)`;
}

/**
 * Page inserts in flight at once (bench/README.md, "Fourth pass, receiver side"): two keep one
 * backend busy while the other's rows are parsed, joined and checked; the pool has ten.
 */
const PAGES_IN_FLIGHT = 2;

/**
 * Stores the fetched lines (replacing any earlier fetch) and checks them against the summary.
 * Each page's insert also matches the creators and checks the page's Likes (`seen` gets what
 * they found): the checks after the store then need not read 100,000 stored lines again, and
 * the Likes are checked while the next page is fetched instead of after the last one.
 */
async function storeLines(
  db: Db,
  config: Config,
  s: SummaryIn,
  lines: AsyncIterable<SummaryLine>,
  seen: Stored,
): Promise<Decision | null> {
  await db.delete(summaryLinesIn).where(eq(summaryLinesIn.summaryId, s.id));
  const hasher = new LinesHasher(s.currency);
  // A page of lines goes in as one JSON parameter: binding 7 parameters per line through the
  // query builder cost more than the insert itself at 100,000 lines (bench/README.md).
  let batch: {
    idx: number;
    creator: string;
    amount: string;
    flattrs: number;
    likes: string[] | null;
    claim: string | null;
  }[] = [];
  // Creators are local users by their actor id, matched as the lines go in (one write a line,
  // not an insert and then an update of every line). The lower() equality is there for the
  // index (users_username_lower): without it every page scanned all users (0.15 s a page).
  const prefix = actorUrl(config, "");
  // Answers how many lines name no local user and the page's first line failing the Likes
  // check (one row).
  const insert = async (rows: typeof batch) => {
    const [r] = await queryRows<{
      unmatched: string;
      idx: number | null;
      creator: string | null;
      n: string | null;
      ok: string | null;
    }>(
      db,
      sql`with r as materialized (
            select r.idx, r.creator, r.amount::int8 as amount, r.flattrs, r.likes, r.claim,
                   u.id as user_id
            from json_to_recordset(${JSON.stringify(rows)}::json)
                 as r(idx int4, creator text, amount text, flattrs int4, likes text[], claim text)
            left join users u
              on starts_with(r.creator, ${prefix})
             and lower(u.username) = lower(substr(r.creator, ${prefix.length + 1}))
             and u.username = substr(r.creator, ${prefix.length + 1})),
          ins as (
            insert into settlement_lines_in
              (summary_id, idx, creator_uri, amount, flattrs, like_ids, claim, user_id)
            select ${s.id}, idx, creator, amount, flattrs, likes, claim, user_id from r),
          ${likesOfLines(s, sql`r`)}
          select (select count(*) from r where user_id is null)::text as unmatched,
                 b.idx, b.creator, b.n::text, b.ok::text
          from (select 1) one left join bad b on true`,
    );
    seen.unmatched += Number(r?.unmatched ?? 0);
    // Pages may finish out of order (two go in at once): the lowest index is the first bad line.
    if (r?.idx != null && (seen.badLikes === null || r.idx < seen.badLikes.idx))
      seen.badLikes = { idx: r.idx, creator_uri: r.creator!, n: r.n!, ok: r.ok! };
  };
  // "None named twice" over the whole summary: one set of the ids named so far.
  const named = new Set<string>();
  const creators = new Set<string>();
  // Pages go in while the next are read and hashed, PAGES_IN_FLIGHT at once on as many
  // connections: a page's insert (~110 ms of one PostgreSQL backend) is slower than reading it,
  // so with one in flight the store was the inserts one after the other. A failed insert fails
  // a later flush (or the last), and so the whole store.
  const inFlight: Promise<unknown>[] = [];
  const flush = async () => {
    while (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
    if (batch.length > 0) {
      const p = insert(batch);
      p.catch(() => {});
      inFlight.push(p);
    }
    batch = [];
  };
  try {
    for await (const line of lines) {
      if (hasher.count >= s.lineCount)
        return reject(
          "total",
          `The lines collection has more than the ${s.lineCount} lines stated.`,
        );
      batch.push({
        idx: hasher.count,
        creator: line.creator,
        amount: line.amount.toString(),
        flattrs: line.flattrs,
        likes: line.likes ?? null,
        claim: line.claim ?? null,
      });
      hasher.add(line);
      if (line.claim !== undefined) seen.claims++;
      // A set that does not grow held the id already (one lookup a line, not has + add).
      if (!seen.creatorNamedTwice) {
        const size = creators.size;
        if (creators.add(line.creator).size === size) seen.creatorNamedTwice = true;
      }
      if (line.likes !== undefined && !seen.likeNamedTwice)
        for (const id of line.likes) {
          const size = named.size;
          if (named.add(id).size === size) seen.likeNamedTwice = true;
        }
      if (batch.length >= 5000) await flush();
    }
    await flush();
    while (inFlight.length > 0) await inFlight.shift();
  } finally {
    // Whatever ends the store (a refusal, a page that failed), no insert outlives it.
    await Promise.allSettled(inFlight);
  }
  if (hasher.digest() !== s.linesHash)
    return reject("total", "The lines do not match the summary's line hash.");
  if (hasher.count !== s.lineCount || hasher.flattrs !== s.flattrCount || hasher.total !== s.total)
    return reject(
      "total",
      `The lines sum to ${hasher.total} in ${hasher.count} line(s) and ${hasher.flattrs} flattr(s), ` +
        `not the stated ${s.total}, ${s.lineCount} and ${s.flattrCount}.`,
    );
  return null;
}

/**
 * Fresh rows have no statistics: without them the planner takes 100,000 lines for one and a
 * check that reads the stored lines again goes quadratic (bench/README.md, "summary"). Only the
 * checks that read them again need it (claim lines, Likes fetched after a failed check); the
 * usual path reads them once, in the apply, by its primary key.
 */
async function analyzeLines(db: Db): Promise<void> {
  await db.execute(sql`analyze settlement_lines_in`);
}

/** Whether the chain continues: the previous summary we decided from this peer has prevHash. */
async function chainCheck(db: Db, s: SummaryIn): Promise<Decision | null> {
  if (s.sequence === 1)
    return s.prevHash === null
      ? null
      : reject("sequence", "The first summary (sequence 1) has no previous hash.", false);
  const before = await db
    .select({ hash: summariesIn.hash, state: summariesIn.state })
    .from(summariesIn)
    .where(and(eq(summariesIn.peerHost, s.peerHost), eq(summariesIn.sequence, s.sequence - 1)));
  // Decided is every final state: a withdrawn or conflicting predecessor is never applied, but
  // the sender's chain goes on from it (its next summary names its hash), so waiting for it to
  // be accepted would park everything after it for ever.
  const decided = before.filter((b) => b.state !== "received" && b.state !== "parked");
  if (decided.some((b) => b.hash === s.prevHash)) return null;
  if (before.some((b) => b.hash === s.prevHash) || before.length === 0)
    return { state: "parked", message: `Waiting for summary ${s.sequence - 1}.` };
  return reject(
    "sequence",
    `The previous hash does not match summary ${s.sequence - 1} as received here.`,
    false,
  );
}

/** Every creator is a local user; every claim line names a claim that won here. */
async function creatorCheck(
  db: Db,
  config: Config,
  s: SummaryIn,
  seen: Stored,
): Promise<Decision | null> {
  // Storing counted both: the lines are read again only to name the culprit.
  if (seen.unmatched > 0) {
    const [bad] = await queryRows<{ creator_uri: string }>(
      db,
      sql`select creator_uri from settlement_lines_in
          where summary_id = ${s.id} and user_id is null order by idx limit 1`,
    );
    if (bad) return reject("creator", `${bad.creator_uri} is not a creator on this instance.`);
  }
  if (seen.claims > 0) await analyzeLines(db);
  const claim = seen.claims > 0 ? await badClaimLine(db, config, s) : null;
  if (claim)
    return reject(
      "creator",
      `Line ${claim.idx}: ${claim.claim} is not a won claim made here by ${claim.creator}.`,
    );
  return null;
}

/** The refusal for a line whose Likes fail the check. */
const badLikesReject = (s: SummaryIn, b: BadLikes) =>
  reject(
    "likes",
    `Line ${b.idx} (${b.creator_uri}) names ${b.n} Like(s), of which ${b.ok} are flattrs ` +
      `we received from ${s.peerHost} in ${s.period} for that creator's things.`,
  );

/** The Likes check as storing found it (likesOfLines, page by page, and the set of ids named). */
function likesFound(s: SummaryIn, seen: Stored): Decision | null {
  if (seen.badLikes) return badLikesReject(s, seen.badLikes);
  if (seen.likeNamedTwice) return reject("likes", "A Like is named in more than one line.");
  return null;
}

/**
 * Each line's Likes, over the stored lines (after Likes never received were fetched): distinct
 * across the summary, each an active incoming flattr from this peer, of this period, of a thing
 * of the line's creator, and as many as the line's flattr count.
 */
async function likesCheck(db: Db, s: SummaryIn): Promise<Decision | null> {
  // One pass over the named Likes (`named` is read twice, so PostgreSQL materializes it once):
  // the first line that fails, and whether a Like is named twice anywhere. One row either way.
  const [r] = await queryRows<{
    idx: number | null;
    creator: string | null;
    n: string | null;
    ok: string | null;
    dup: boolean;
  }>(
    db,
    sql`with ${likesOfLines(
      s,
      sql`(select idx, creator_uri as creator, user_id, flattrs, like_ids as likes
           from settlement_lines_in where summary_id = ${s.id}) r`,
    )}
        select b.idx, b.creator, b.n::text, b.ok::text,
               (select count(like_id) <> count(distinct like_id) from named) as dup
        from (select 1) one left join bad b on true`,
  );
  if (r?.idx != null)
    return badLikesReject(s, { idx: r.idx, creator_uri: r.creator!, n: r.n!, ok: r.ok! });
  if (r?.dup) return reject("likes", "A Like is named in more than one line.");
  return null;
}

/**
 * The one transaction: credit every line, accept, owe the Accept, wake a parked successor.
 * `grouped`: some creator has two lines, so their amounts are summed into one posting; else each
 * line is its creator's posting as it is (grouping 100,000 lines spilled the hash to disk and
 * cost about 0.2 s, bench/README.md).
 */
async function apply(db: Db, now: Date, s: SummaryIn, grouped: boolean): Promise<Decision> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`summary-in:${s.peerHost}`}))`);
    const [current] = await tx.select().from(summariesIn).where(eq(summariesIn.id, s.id));
    if (!current || (current.state !== "received" && current.state !== "parked"))
      return { state: "waiting", message: "decided meanwhile" } as const;
    const [other] = await tx
      .select({ hash: summariesIn.hash })
      .from(summariesIn)
      .where(
        and(
          eq(summariesIn.peerHost, s.peerHost),
          eq(summariesIn.period, s.period),
          eq(summariesIn.state, "accepted"),
        ),
      );
    if (other) {
      await tx
        .update(summariesIn)
        .set({
          state: "conflict",
          reason: "conflict",
          final: true,
          message: `A different summary for ${s.period} was accepted already.`,
          decidedAt: now,
          answerDueAt: now,
          nextAttemptAt: null,
        })
        .where(eq(summariesIn.id, s.id));
      return reject("conflict", "A different summary for this period was accepted already.");
    }
    const key = `settlement-in:${s.peerHost}:${s.period}`;
    const clearing = clearingAccountSql(sql`${s.peerHost}::text`);
    // ledger/payload.ts's payloadHash in SQL (as the close does): one entry, per creator a posting.
    const [row] = await queryRows<{ entries: string }>(
      tx,
      sql`with lines as (
            ${
              grouped
                ? sql`select ${earningsAccountSql(sql`user_id`)} as account, sum(amount)::int8 as amount
                      from settlement_lines_in where summary_id = ${s.id} group by user_id`
                : sql`select ${earningsAccountSql(sql`user_id`)} as account, amount
                      from settlement_lines_in where summary_id = ${s.id}`
            }
            union all
            select ${clearing}, -${s.total.toString()}::int8),
          hashed as (
            select encode(sha256(convert_to(
              '{"kind":"settlement","metadata":{"summary":"' || ${s.hash}::text || '"},"period":"'
              || ${s.period}::text || '","postings":['
              || string_agg('["' || account || '","' || ${s.currency}::text || '","' || amount::text || '"]',
                            ',' order by account collate "C")
              || '],"reverses":null}', 'UTF8')), 'hex') as hash
            from lines),
          entry as (
            insert into ledger_entries (idempotency_key, kind, period, metadata, payload_hash)
            select ${key}, 'settlement', ${s.period}, jsonb_build_object('summary', ${s.hash}::text), hash
            from hashed
            returning id),
          postings as (
            insert into ledger_postings (entry_id, account, currency, amount)
            select entry.id, lines.account, ${s.currency}, lines.amount from entry, lines
            returning 1)
        select (select count(*) from postings)::text as entries`,
    );
    if (!row || row.entries === "0") throw new Error(`summary ${s.id}: no postings written`);
    await tx
      .update(summariesIn)
      .set({
        state: "accepted",
        reason: null,
        final: null,
        message: null,
        decidedAt: now,
        answerDueAt: now,
        nextAttemptAt: null,
      })
      .where(eq(summariesIn.id, s.id));
    await wakeSuccessor(tx, now, s);
    logger.info("Accepted summary {id} from {peer} for {period}: {total} in {lines} line(s)", {
      id: s.id,
      peer: s.peerHost,
      period: s.period,
      total: s.total.toString(),
      lines: s.lineCount,
    });
    return { state: "accepted" } as const;
  });
}

/**
 * Decides one received summary. `fetchLines` reads the sender's lines collection (signed GETs);
 * it throws LinesUnavailable when the sender cannot be reached (retried with backoff), and so
 * does `fetchLike`, which reads a Like we never received from its id (without it, such a Like
 * is refused `likes`).
 */
export async function processReceived(
  db: Db,
  clock: Clock,
  config: Config,
  s: SummaryIn,
  fetchLines: () => AsyncIterable<SummaryLine>,
  fetchLike?: LikeFetcher,
): Promise<Decision> {
  const now = clock.now();
  const [current] = await db.select().from(summariesIn).where(eq(summariesIn.id, s.id));
  if (current?.state !== "received" && current?.state !== "parked")
    return { state: "waiting", message: `The summary is ${current?.state ?? "gone"} already.` };
  const peer = await findPeer(db, s.peerHost);
  if (!admitted(peer)) {
    const held = notAdmittedAnswer(peer, s.peerHost, s.period, config, now);
    return decide(
      db,
      now,
      s,
      held.final
        ? reject("not_admitted", held.message)
        : { state: "waiting", message: held.message },
    );
  }
  if (s.lineCount > MAX_SUMMARY_LINES)
    return decide(
      db,
      now,
      s,
      reject("too_large", `More than ${MAX_SUMMARY_LINES} lines are not accepted here.`),
    );
  if (s.currency !== config.currency)
    return decide(db, now, s, reject("currency", `This instance settles in ${config.currency}.`));
  const chain = await chainCheck(db, s);
  if (chain) return decide(db, now, s, chain as Exclude<Decision, { state: "accepted" }>);
  let problem: Decision | null;
  let grouped = true;
  try {
    const seen: Stored = {
      unmatched: 0,
      claims: 0,
      badLikes: null,
      likeNamedTwice: false,
      creatorNamedTwice: false,
    };
    problem = await storeLines(db, config, s, fetchLines(), seen);
    grouped = seen.creatorNamedTwice;
    problem ??= await creatorCheck(db, config, s, seen);
    problem ??= likesFound(s, seen);
    // Likes named that never reached us are fetched from their ids (fetched-likes.ts) and the
    // Likes checked again, over the stored lines. Only when the check failed: when it holds,
    // every Like named was received, so there was nothing to fetch (one pass over the Likes).
    if (problem?.state === "rejected" && problem.reason === "likes" && fetchLike) {
      await analyzeLines(db);
      const fetched = await recordMissingLikes(db, clock, config, s, fetchLike);
      problem = fetched ? reject(fetched.reason, fetched.message) : await likesCheck(db, s);
    }
  } catch (e) {
    if (e instanceof MalformedLines) return decide(db, now, s, reject("total", e.message));
    if (!(e instanceof LinesUnavailable)) throw e;
    await db
      .update(summariesIn)
      .set({
        reason: "unavailable",
        message: e.message,
        attempts: sql`${summariesIn.attempts} + 1`,
        nextAttemptAt: retryAt(now, s.attempts),
      })
      .where(eq(summariesIn.id, s.id));
    return { state: "waiting", message: e.message };
  }
  if (problem) return decide(db, now, s, problem as Exclude<Decision, { state: "accepted" }>);
  return apply(db, now, s, grouped);
}
