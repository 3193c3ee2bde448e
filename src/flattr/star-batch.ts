import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { hotStatement } from "../db/hot-statement.ts";
import { pgError } from "../db/pg-error.ts";
import { type AccountStatsRow, accountStatsQuery } from "../social/account-stats.ts";
import {
  type MentionRow,
  mentionsJson,
  type StatusRow,
  statusColumns,
  statusJoins,
} from "../social/status-query.ts";
import {
  asError,
  batchedPerDatabase,
  batchTokenStamps,
  byIndex,
  type FlattrCall,
  type PeriodValues,
  periodFields,
  periodValues,
  pgTextArray,
} from "./flattr-batch.ts";

/*
 * How a star with an access token reaches favourite_request() (src/db/sql/star-functions.sql):
 * the token check, the status read with its visibility, the flattr and the star count in one
 * call, and the rest of the Status the star answers (the status, its author and the author's
 * counts, its mentions) read by the same statement, so a star is one round trip and one commit
 * (docs/adr/0028). Stars made at the same time share the statement and its commit, as flattrs do
 * (docs/adr/0005, src/flattr/flattr-batch.ts): each keeps its own time, period, limits and
 * outcome; a batch is the same calls one after the other in one READ COMMITTED transaction.
 */

/** One star: a token (never a payer id: the statement finds the payer) and a status. */
export interface StarCall extends Omit<FlattrCall, "payerId" | "appId" | "thingId" | "tokenHash"> {
  tokenHash: string;
  statusId: bigint;
}

/** The Status a star answers, as the statement reads it (JSON: int8 as text, dates as text). */
export type StarStatusRow = StatusRow & AccountStatsRow & { mentions: MentionRow[] };

/** What favourite_request answers, with the status when it is flattred (ok, already_flattred). */
export interface StarRow {
  outcome: string;
  payer: string | null;
  app: string | null;
  stars: string | null;
  status: StarStatusRow | null;
}

/**
 * The Status a flattred star answers, as one JSON value (null for any other outcome): `f` is the
 * star's outcome row, `status` its status id.
 */
const starAnswer = (status: SQL) => sql`(select row_to_json(x) from (
        select ${statusColumns}, ${mentionsJson} as mentions, st.followers, st.following,
               st.statuses, st.last_status_at
          from ${statusJoins}
          cross join lateral ${accountStatsQuery(sql`s.user_id`)} st
         where s.id = ${status} and f.outcome in ('ok', 'already_flattred')) x)`;

/**
 * One star, one statement called directly: a batch of one (light load) skips the JSON of the
 * batch form, about 0.2 ms of PostgreSQL CPU (measured: 1.00 against 1.22 ms per star).
 */
export async function starOne(db: Db, c: StarCall): Promise<StarRow> {
  const [row] = await favouriteRequest(db, {
    tokenHash: c.tokenHash,
    stampBefore: c.tokenStampBefore?.toISOString() ?? null,
    scopes: pgTextArray(c.scopes),
    status: c.statusId,
    ...periodValues(c),
  });
  if (!row) throw new Error("favourite_request returned no row");
  return JSON.parse(row.answer);
}

/** favourite_request's values, as one star's call binds them. */
interface StarValues extends PeriodValues {
  tokenHash: string;
  stampBefore: string | null;
  scopes: string;
  status: bigint;
}

const favouriteRequest = hotStatement<{ answer: string }, StarValues>(
  "favourite_request",
  (v) => sql`select json_build_object('outcome', f.outcome, 'payer', f.payer_id::text,
                 'app', f.app_id::text, 'stars', f.stars::text, 'status', ${starAnswer(sql`r.status`)})::text
                 as answer
          from (select ${v("status")}::int8 as status) r
          cross join lateral favourite_request(${v("tokenHash")}::text,
                 ${v("stampBefore")}::timestamptz, ${v("scopes")}::text[], r.status,
                 ${v("period")}::text, ${v("now")}::timestamptz, ${v("lockClass")}::int4,
                 ${v("periodKey")}::int4, ${v("currency")}::text, ${v("rateSince")}::timestamptz,
                 ${v("rateMax")}::int8, ${v("periodMax")}::int8) f`,
);

/**
 * A batch's stars as its statement reads them: in token order (one token is one payer, so two
 * batches that share payers take their locks in the same order), each with its index `i` in
 * `calls`.
 */
export function starCallsJson(calls: readonly StarCall[]): string {
  const order = calls
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (a.c.tokenHash < b.c.tokenHash ? -1 : a.c.tokenHash > b.c.tokenHash ? 1 : 0));
  return JSON.stringify(
    order.map(({ c, i }) => ({
      i,
      token_hash: c.tokenHash,
      token_stamp_before: c.tokenStampBefore?.toISOString() ?? null,
      scopes: c.scopes,
      status: c.statusId.toString(),
      ...periodFields(c),
    })),
  );
}

/**
 * Many stars, one statement, in token order (one token is one payer, so two batches that share
 * payers take their locks in the same order). One aggregated row, as flattrMany answers, for
 * the same reason (porsager/postgres#1119). If the database refuses the statement (an SQLSTATE:
 * it rolled back, nothing was written) each star is tried again alone; an error without one
 * (the connection broke, the commit may have happened) fails them all.
 */
export async function starMany(db: Db, calls: StarCall[]): Promise<(StarRow | Error)[]> {
  if (calls.length === 1) return [await starOne(db, calls[0]!).catch(asError)];
  const json = starCallsJson(calls);
  // The tokens' last_used_at is written by batchTokenStamps (flattr-batch.ts), once per token and
  // not by favourite_batch: a per-call UPDATE cost about 60 µs of PostgreSQL CPU per star (500 ->
  // 438, docs/adr/0031). favourite_batch decides the stars set-based (docs/adr/0038) and answers
  // a row per star, read here as rows, not JSON to parse again (docs/adr/0039); the answer's
  // Status is read by this statement, from the star's own row.
  let rows: (StarRow & { i: number })[];
  try {
    const [answer] = await favouriteBatch(db, { calls: json });
    rows = JSON.parse(answer?.results ?? "[]");
  } catch (error) {
    if (!pgError(error)) throw error;
    return Promise.all(calls.map((c) => starOne(db, c).catch(asError)));
  }
  return byIndex(calls.length, rows, "favourite_request batch returned no row for this star");
}

const favouriteBatch = hotStatement<{ results: string }, { calls: string }>(
  "favourite_batch",
  (v) => sql`with p as materialized (select ${v("calls")}::json as calls),
          r as materialized (
            select r.* from p cross join json_to_recordset(p.calls) as r(
                 token_hash text, token_stamp_before timestamptz, now timestamptz)),
          ${batchTokenStamps}
          select coalesce(json_agg(json_build_object(
                 'i', f.i, 'outcome', f.outcome, 'payer', f.payer::text,
                 'app', f.app::text, 'stars', f.stars::text,
                 'status', ${starAnswer(sql`f.status`)})), '[]')::text as results
          from p cross join lateral favourite_batch(p.calls) f`,
);

/**
 * Runs one favourite_request call, batched with the stars made at the same moment (stars are
 * never part of a caller's transaction).
 */
export const callStar: (db: Db, call: StarCall) => Promise<StarRow> = batchedPerDatabase(starMany);
