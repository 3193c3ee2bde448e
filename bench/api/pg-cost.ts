import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { tokenCredential } from "../../src/accounts/tokens.ts";
import { systemClock } from "../../src/config/clock.ts";
import { loadConfig } from "../../src/config/config.ts";
import { openPostgres, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { flattrCall } from "../../src/flattr/flattr.ts";
import { type FlattrCall, flattrBatchOf, flattrMany } from "../../src/flattr/flattr-batch.ts";
import { flattrManyPerCall } from "../../test/helpers/flattr-per-call.ts";
import { backendCpuMs, interleavedCosts, printCosts } from "../lib/backend-cost.ts";
import { createScratch, dropScratch, openScratch } from "../lib/scratch.ts";
import { apiSizesFor, benchToken, requestFor, seedApi } from "./seed.ts";

/*
 * What one API flattr costs PostgreSQL, and which part of the schema costs what: the batched
 * statement of src/flattr/flattr-batch.ts (flattr_batch, set-based, one commit per batch; the
 * variant "per call (before ADR 0035)" runs the statement it replaced, flattr_request per call)
 * run by one session per variant, one batch after the other, on a fresh copy of the API benchmark's data per variant
 * (an index dropped, the trigger disabled, tokens already stamped…). The figure is that backend's
 * own CPU time (/proc/<pid>/stat), which the other tenants of a shared machine disturb far less
 * than throughput. Every request is a valid flattr and its token's first use, as in the load run.
 *
 *   npx tsx bench/api/pg-cost.ts [--flattrs 9600] [--batch 16] [variant…]
 */

/** Variants that run another batch statement than flattrMany. */
const STATEMENTS: Record<string, typeof flattrMany> = {
  "per call (before ADR 0035)": flattrManyPerCall,
  // A flattr alone through the batch statement instead of flattr_request (--batch 1).
  "batch statement": flattrBatchOf,
};

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args.splice(i, 2)[1]);
  return v;
};
const FLATTRS = opt("flattrs", 9600);
const BATCH = opt("batch", 16);
const url =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://root@127.0.0.1:5432/test";

/** Each variant: SQL run on its copy before the measurement. */
const VARIANTS: Record<string, string[]> = {
  "as is": [],
  "per call (before ADR 0035)": [],
  "tokens stamped (no stamp write)": ["update access_tokens set last_used_at = now()"],
  "no flattrs_like_id index": ["drop index flattrs_like_id"],
  "no like_id default and index": [
    "drop index flattrs_like_id",
    "alter table flattrs alter like_id drop default, alter like_id drop not null",
  ],
  // Not measurable this way: without it the limits' count is a sequential scan of flattrs
  // (its OR has no other index for both arms), quadratic in the run's length.
  // "no flattrs_payer_created": "drop index flattrs_payer_created",
  "no flattrs_thing_period": ["drop index flattrs_thing_period"],
  "no flattrs_app": ["drop index flattrs_app"],
  // Room on every page, so that the stamp is a HOT update (no index entries).
  "access_tokens fillfactor 70": [
    "alter table access_tokens set (fillfactor = 70)",
    "vacuum full access_tokens",
  ],
  // The trigger deciding inline, with one index probe, whether the thing is a local post, before
  // it calls notify_favourite (tried for ADR 0025: no measurable gain, not adopted).
  "notification trigger deciding inline": [
    `create or replace function notifications_on_flattr()
    returns trigger language plpgsql as $f$
    begin
      if (NEW.withdrawn_at is null) = (TG_OP = 'UPDATE' and OLD.withdrawn_at is null) then
        return null;
      end if;
      perform 1 from statuses s where s.thing_id = NEW.thing_id and s.user_id is not null;
      if not found then
        return null;
      end if;
      perform notify_favourite(NEW.thing_id, 'flattr:' || NEW.id, NEW.payer_id, NULL, true,
        NEW.created_at, NEW.withdrawn_at IS NULL, TG_OP = 'UPDATE' AND OLD.withdrawn_at IS NULL);
      return null;
    end $f$`,
  ],
  // The functions' `SET enable_seqscan = off` clause: PostgreSQL saves and restores the setting
  // around every call (flattr_request calls flattr_thing: twice per flattr).
  "no SET clause on the flattr functions": [
    "alter function flattr_thing reset all",
    "alter function flattr_request reset all",
  ],
  // Only the inner function's clause: flattr_thing runs inside flattr_request, whose clause is
  // already in force there (its plans are made with seqscans off all the same).
  "no SET clause on flattr_thing only": ["alter function flattr_thing reset all"],
  "no notification trigger": ["alter table flattrs disable trigger flattrs_notify"],
  // The insert's notifications decided once per statement over its new rows (a transition
  // table) instead of a PL/pgSQL trigger call per row; withdrawals keep the row trigger.
  "notification trigger per statement": [
    "drop trigger flattrs_notify on flattrs",
    `create trigger flattrs_notify after update of withdrawn_at on flattrs
     for each row execute function notifications_on_flattr()`,
    `create function notifications_on_flattrs_inserted()
    returns trigger language plpgsql set enable_seqscan = off as $f$
    begin
      perform notify_favourite(n.thing_id, 'flattr:' || n.id, n.payer_id, null, true,
        n.created_at, true, false)
      from (select n.* from inserted_flattrs n
            where n.withdrawn_at is null
              and exists (select 1 from statuses s
                          where s.thing_id = n.thing_id and s.user_id is not null)
            order by n.id offset 0) n;
      return null;
    end $f$`,
    `create trigger flattrs_notify_inserted after insert on flattrs
     referencing new table as inserted_flattrs
     for each statement execute function notifications_on_flattrs_inserted()`,
  ],
  "no foreign keys (measure only)": [
    "alter table flattrs drop constraint flattrs_thing_id_things_id_fk, drop constraint flattrs_payer_id_users_id_fk, drop constraint flattrs_app_id_oauth_apps_id_fk",
  ],
};

/** One variant's session: runs chunks of batches and reads its backend's CPU around each. */
async function session(dbUrl: string, nonce: string, many: typeof flattrMany) {
  const sizes = apiSizesFor(1);
  const database = openPostgres(dbUrl, { max: 1 });
  const db = database.db;
  const [row] = await queryRows<{ pid: number }>(db, sql`select pg_backend_pid() as pid`);
  const pid = Number(row!.pid);
  console.error(`backend pid ${pid} (perf record -p ${pid} profiles it)`);
  const clock = systemClock;
  const config = loadConfig({
    ORIGIN: "http://127.0.0.1:9",
    CURRENCY: "EUR",
    TIME_ZONE: "UTC",
    DATABASE_URL: dbUrl,
  });
  // What the API route hands flattr(): the token's hash and its stamp cutoff.
  const call = (k: number): FlattrCall => {
    const { payer, thing } = requestFor(sizes, k);
    return flattrCall(
      clock,
      config,
      tokenCredential(benchToken(nonce, payer), clock.now())!,
      thing,
    );
  };
  let k = 0;
  /** Runs `n` flattrs in batches; answers the backend's CPU ms and how many were ok. */
  const chunk = async (n: number) => {
    const before = backendCpuMs(pid);
    let ok = 0;
    for (const end = k + n; k < end; k += BATCH) {
      const calls = Array.from({ length: BATCH }, (_, i) => call(k + i));
      const rows = await many(db, calls);
      ok += rows.filter((r) => !(r instanceof Error) && r.outcome === "ok").length;
    }
    return { ms: backendCpuMs(pid) - before, ok };
  };
  return { chunk, end: () => database.close() };
}

const CHUNK = opt("chunk", 640);
// By default the batch statement against the one it replaced; name variants to measure others.
const names = args.length > 0 ? args : ["as is", "per call (before ADR 0035)"];
const seeded = await createScratch(url, "apicost");
const nonce = randomBytes(8).toString("hex");
const copies: string[] = [];
try {
  const database = openScratch(seeded, 2);
  await migrate(database);
  await seedApi(database.db, apiSizesFor(1), nonce);
  await database.db.execute(sql`checkpoint`);
  await database.close();
  const sessions: Awaited<ReturnType<typeof session>>[] = [];
  for (const name of names) {
    const copy = await createScratch(url, "apicostv", seeded.name);
    copies.push(copy.name);
    const admin = postgres(copy.url, { max: 1, onnotice: () => {} });
    for (const q of VARIANTS[name] ?? []) await admin.unsafe(q);
    await admin.unsafe("vacuum analyze");
    await admin.end({ timeout: 5 });
    const s = await session(copy.url, nonce, STATEMENTS[name] ?? flattrMany);
    await s.chunk(BATCH * 20); // warm-up: plans and caches, not counted
    sessions.push(s);
  }
  const results = await interleavedCosts(names, sessions, FLATTRS, CHUNK);
  for (const s of sessions) await s.end();
  printCosts(
    `PostgreSQL backend CPU per flattr, batches of ${BATCH}, ${FLATTRS} flattrs in chunks of ${CHUNK}:`,
    names,
    results,
  );
} finally {
  for (const c of copies) await dropScratch(url, c);
  await dropScratch(url, seeded.name);
}
