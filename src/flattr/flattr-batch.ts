import { sql } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import { Batcher } from "../db/batcher.ts";
import type { Db } from "../db/client.ts";
import { hotStatement } from "../db/hot-statement.ts";
import { pgError } from "../db/pg-error.ts";

/*
 * How a flattr reaches the database (src/db/sql/flattr-functions.sql): flattrs made at the same
 * time share one statement and one commit (docs/adr/0005-batched-flattrs.md). Each keeps its own
 * time, period and limits and gets its own outcome. A flattr alone is one flattr_request call; a
 * batch is one flattr_batch call, which decides the batch set-based when its calls cannot
 * interact (every payer once, one period) and otherwise runs flattr_thing per call, in one READ
 * COMMITTED transaction either way: the rules and the close-vs-flattr protocol (ADR 0002) are the
 * same for both (docs/adr/0035).
 */

/** One call of flattr_request: everything it takes, decided when the request came in. */
export interface FlattrCall {
  /** The payer, or null when an access token says who it is. */
  payerId: number | null;
  /** The OAuth app that asked (for a payer given by id); a token brings its own. */
  appId: number | null;
  /** SHA-256 of the access token (personal or OAuth) that must hold one of `scopes`, or null. */
  tokenHash: string | null;
  /** The scopes of which a token must hold one to flattr (FLATTR_SCOPES). */
  scopes: readonly string[];
  /** The token's last_used_at is rewritten only when older than this. */
  tokenStampBefore: Date | null;
  thingId: number;
  period: string;
  now: Date;
  lockClass: number;
  periodKey: number;
  currency: string;
  rateSince: Date;
  rateMax: number;
  periodMax: number;
}

/** What flattr_request answers: an outcome, the payer, and on ok the new row (int8 as text). */
export interface OutcomeRow extends Record<string, unknown> {
  outcome: string;
  payer?: string | null;
  id: string | null;
  thing_id: string | null;
  payer_id: string | null;
  period: string | null;
  created_at: string | Date | null;
}

/** The columns of an outcome, int8 as text (the drivers disagree on int8). */
export const outcomeColumns = sql.raw(
  "f.outcome, f.flattr_id::text as id, f.flattr_thing_id::text as thing_id, " +
    "f.flattr_payer_id::text as payer_id, f.flattr_period as period, f.flattr_created_at as created_at",
);

/** Flattrs per batch at most: a batch holds its payers' locks until it commits. */
const MAX_BATCH = 64;
/**
 * Batches at once. More in flight means smaller batches and more commits: 1, 2, 3, 4 and 8 were
 * measured (ADR 0005); 2 was best or level with the best, and leaves the pool's other connections
 * to the other requests.
 */
const MAX_IN_FLIGHT = 2;
/**
 * Under light load (the batches running hold fewer than 32 flattrs in all: 16 connections, not 64
 * or 256) up to 4 batches at once. A batch takes about as long for one flattr as for a dozen
 * (measured at 16 connections: 1.9 against 2.5 ms), and at 16 connections the batches average about
 * 5 flattrs whatever the slots, so a third or fourth slot cuts the time a flattr waits for one
 * without making batches smaller (docs/adr/0032).
 */
const LIGHT_LOAD = { maxInFlight: 4, belowItems: 32 };

/** flattr_request's columns, payer included. */
const requestColumns = sql.raw(
  "f.outcome, f.payer_id::text as payer, f.flattr_id::text as id, " +
    "f.flattr_thing_id::text as thing_id, f.flattr_payer_id::text as payer_id, " +
    "f.flattr_period as period, f.flattr_created_at as created_at",
);

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * A text[] literal (`{"a","b"}`): the drivers bind JS arrays differently, a literal cast in SQL
 * is the same for both. Scopes are our own words (letters, colons), quoted all the same.
 */
export const pgTextArray = (xs: readonly string[]): string =>
  `{${xs.map((x) => `"${x.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;

/** A call's period and limits as the per-call statements bind them (flattr_request's last eight). */
export interface PeriodValues extends Record<string, unknown> {
  period: string;
  now: string;
  lockClass: number;
  periodKey: number;
  currency: string;
  rateSince: string;
  rateMax: number;
  periodMax: number;
}

export function periodValues(c: Omit<FlattrCall, "payerId" | "appId" | "thingId">): PeriodValues {
  return {
    period: c.period,
    now: c.now.toISOString(),
    lockClass: c.lockClass,
    periodKey: c.periodKey,
    currency: c.currency,
    rateSince: c.rateSince.toISOString(),
    rateMax: c.rateMax,
    periodMax: c.periodMax,
  };
}

/** flattr_request's values, as one flattr's call binds them. */
interface RequestValues extends PeriodValues {
  payer: number | null;
  app: number | null;
  tokenHash: string | null;
  stampBefore: string | null;
  scopes: string;
  thing: number;
}

const flattrRequest = hotStatement<OutcomeRow, RequestValues>(
  "flattr_request",
  (v) => sql`select ${requestColumns} from flattr_request(
          ${v("payer")}::int8, ${v("app")}::int8, ${v("tokenHash")}::text,
          ${v("stampBefore")}::timestamptz, ${v("scopes")}::text[], ${v("thing")}::int8,
          ${v("period")}::text, ${v("now")}::timestamptz, ${v("lockClass")}::int4,
          ${v("periodKey")}::int4, ${v("currency")}::text, ${v("rateSince")}::timestamptz,
          ${v("rateMax")}::int8, ${v("periodMax")}::int8) f`,
);

/** One flattr, one statement: its own transaction, or part of `db` if that is one. */
export async function flattrOne(db: Db, c: FlattrCall): Promise<OutcomeRow> {
  const rows = await flattrRequest(db, {
    payer: c.payerId,
    app: c.appId,
    tokenHash: c.tokenHash,
    stampBefore: iso(c.tokenStampBefore),
    scopes: pgTextArray(c.scopes),
    thing: c.thingId,
    ...periodValues(c),
  });
  const row = rows[0];
  if (!row) throw new Error("flattr_request returned no row");
  return row;
}

/**
 * The CTEs that stamp a batch's tokens (`last_used_at`), once per token and set-based, over the
 * batch's rows `r` (token_hash, token_stamp_before, now); the calls themselves get a null cutoff.
 * One UPDATE per call started its own executor and re-read the table's CHECK constraints every
 * time (docs/adr/0025). SKIP LOCKED: a token row another transaction holds is being stamped or
 * revoked by it, and waiting for it could deadlock two batches that stamp the same tokens in
 * another order. The lateral LIMIT 1 keeps each token an index lookup: a join was planned (generic
 * plan) as a hash join over the whole table. Shared by flattr and star batches (star-batch.ts).
 */
export const batchTokenStamps = sql`used as (
            select s.token_hash, max(s.now) as now, max(s.token_stamp_before) as before
            from r s where s.token_hash is not null and s.token_stamp_before is not null
            group by s.token_hash),
          stale as (
            select t.id, u.now from used u cross join lateral (
              select a.id from access_tokens a
              where a.token_hash = u.token_hash and a.revoked_at is null
                and (a.last_used_at is null or a.last_used_at <= u.before)
              limit 1 for update skip locked) t),
          stamp as (
            update access_tokens t set last_used_at = s.now from stale s where t.id = s.id)`;

/**
 * How the batches of this process were decided (for the API benchmark's figures): set-based, or
 * per call because a payer appeared twice or the calls spanned periods (docs/adr/0035).
 */
export const flattrBatchPaths = { setBased: 0, perCall: 0 };

/**
 * Many flattrs, one statement: flattr_batch (src/db/sql/flattr-functions.sql) decides them
 * set-based, a few statements for the whole batch, or calls flattr_thing for each in payer order
 * when calls of one payer could interact (docs/adr/0035); either way one transaction. The calls
 * go in payer order (ids by id, then tokens by hash), which decides between two calls of one
 * payer. If the database refuses the statement (an error with an SQLSTATE, which drizzle wraps:
 * it rolled back, nothing was written) each flattr is tried again on its own, so one flattr's
 * error stays its own. Errors without one (the connection broke: the commit may or may not have
 * happened) fail them all.
 */
export async function flattrMany(db: Db, calls: FlattrCall[]): Promise<(OutcomeRow | Error)[]> {
  if (calls.length === 1) return [await flattrOne(db, calls[0]!).catch(asError)];
  return flattrBatchOf(db, calls);
}

/** flattrMany's batch statement, whatever the batch's size (the benchmarks compare sizes). */
export async function flattrBatchOf(db: Db, calls: FlattrCall[]): Promise<(OutcomeRow | Error)[]> {
  const order = calls.map((c, i) => ({ c, i })).sort((a, b) => compareCalls(a.c, b.c) || a.i - b.i);
  const json = JSON.stringify(
    order.map(({ c, i }, o) => ({
      i,
      o,
      payer: c.payerId,
      app: c.appId,
      token_hash: c.tokenHash,
      token_stamp_before: iso(c.tokenStampBefore),
      scopes: c.scopes,
      thing: c.thingId,
      ...periodFields(c),
    })),
  );
  // One row whose JSON holds every call's answer: a call that raises after earlier calls' rows
  // were sent leaves postgres.js 3.4's connection answering its next query with holes
  // (porsager/postgres#1119); one value is sent only once the statement has succeeded.
  // The tokens' last_used_at is written by batchTokenStamps, not by flattr_batch.
  let answer: { per_call: boolean; results: (OutcomeRow & { i: number })[] };
  try {
    const [row] = await flattrBatch(db, { calls: json });
    answer = JSON.parse(row?.answer ?? '{"per_call":false,"results":[]}');
  } catch (error) {
    if (!pgError(error)) throw error;
    return Promise.all(calls.map((c) => flattrOne(db, c).catch(asError)));
  }
  if (answer.per_call) flattrBatchPaths.perCall++;
  else flattrBatchPaths.setBased++;
  return byIndex(calls.length, answer.results, "flattr_batch returned no row for this flattr");
}

const flattrBatch = hotStatement<{ answer: string }, { calls: string }>(
  "flattr_batch",
  (v) => sql`with p as materialized (select ${v("calls")}::json as calls),
          r as materialized (
            select r.* from p cross join json_to_recordset(p.calls) as r(
                 token_hash text, token_stamp_before timestamptz, now timestamptz)),
          ${batchTokenStamps}
          select flattr_batch(p.calls)::text as answer from p`,
);

/** A batch's order: payers by id first, in id order, then tokens by hash. */
export function compareCalls(a: FlattrCall, b: FlattrCall): number {
  if (a.payerId !== null && b.payerId !== null) return a.payerId - b.payerId;
  if (a.payerId !== null) return -1;
  if (b.payerId !== null) return 1;
  return (a.tokenHash ?? "") < (b.tokenHash ?? "")
    ? -1
    : (a.tokenHash ?? "") > (b.tokenHash ?? "")
      ? 1
      : 0;
}

export const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** A batch call's period and limits as the batch statements' JSON spells them. */
export function periodFields(
  c: Pick<
    FlattrCall,
    | "period"
    | "now"
    | "lockClass"
    | "periodKey"
    | "currency"
    | "rateSince"
    | "rateMax"
    | "periodMax"
  >,
) {
  return {
    period: c.period,
    now: c.now.toISOString(),
    lock_class: c.lockClass,
    period_key: c.periodKey,
    currency: c.currency,
    rate_since: c.rateSince.toISOString(),
    rate_max: c.rateMax,
    period_max: c.periodMax,
  };
}

/** A batch's answer in call order (rows carry their call's index `i`); a call left out fails. */
export function byIndex<R>(n: number, rows: readonly (R & { i: number })[], missing: string) {
  // The Error (and its stack) only for a call left out: made for every call, it cost about 2 %
  // of the server's time under load.
  const results: (R | undefined)[] = new Array(n);
  for (const r of rows) results[Number(r.i)] = r;
  return Array.from(results, (r): R | Error => r ?? new Error(missing));
}

const isTransaction = (db: Db): boolean => (db as unknown) instanceof PgTransaction;

/**
 * One call of `many`'s statement, group-committed with the calls made at the same moment on the
 * same database (one Batcher per database, of this module's sizes: the flattr and the star).
 */
export function batchedPerDatabase<I, O>(
  many: (db: Db, items: I[]) => Promise<(O | Error)[]>,
): (db: Db, item: I) => Promise<O> {
  const batchers = new WeakMap<Db, Batcher<I, O>>();
  return (db, item) => {
    let batcher = batchers.get(db);
    if (!batcher) {
      batcher = new Batcher({
        run: (items) => many(db, items),
        maxBatch: MAX_BATCH,
        maxInFlight: MAX_IN_FLIGHT,
        lightLoad: LIGHT_LOAD,
      });
      batchers.set(db, batcher);
    }
    return batcher.submit(item);
  };
}

const batchedFlattr = batchedPerDatabase(flattrMany);

/**
 * Runs one flattr_request call: batched with others on a database, alone inside a transaction
 * (which must stay one unit with the caller's other statements).
 */
export function callFlattrThing(db: Db, call: FlattrCall): Promise<OutcomeRow> {
  return isTransaction(db) ? flattrOne(db, call) : batchedFlattr(db, call);
}
