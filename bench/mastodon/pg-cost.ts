import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { tokenCredential } from "../../src/accounts/tokens.ts";
import { systemClock } from "../../src/config/clock.ts";
import { loadConfig } from "../../src/config/config.ts";
import { openPostgres, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { flattrCall } from "../../src/flattr/flattr.ts";
import { flattrMany } from "../../src/flattr/flattr-batch.ts";
import { starMany } from "../../src/flattr/star-batch.ts";
import { flattrManyPerCall } from "../../test/helpers/flattr-per-call.ts";
import { starManyPerCall } from "../../test/helpers/star-per-call.ts";
import { apiSizesFor, benchToken, requestFor, seedApi, statusIdFor } from "../api/seed.ts";
import { backendCpuMs, interleavedCosts, printCosts } from "../lib/backend-cost.ts";
import { createScratch, dropScratch, openScratch } from "../lib/scratch.ts";

/*
 * What one Mastodon star costs PostgreSQL against one REST flattr of the same things by the same
 * tokens (issue 11 point 6): the batched statements the two routes send (src/flattr/star-batch.ts
 * starMany, src/flattr/flattr-batch.ts flattrMany), each run by one session on its own copy of the
 * Mastodon benchmark's data (bench/api/seed.ts with `mastodon: true`), one batch after the other,
 * the sessions interleaved chunk by chunk so that the machine's drift hits them alike. The figure
 * is each backend's own CPU (/proc/<pid>/stat), which a shared machine blurs far less than the
 * load benchmark's "database" column (every postgres process, other people's too). Chunks are
 * printed one by one: a cost that grows with the run (a plan gone to a sequential scan) shows.
 *
 *   npx tsx bench/mastodon/pg-cost.ts [--stars 6400] [--batch 16] [session…]
 *
 * Sessions: "REST flattr", "star", "REST flattr per call" and "star per call" (the batch
 * statements before flattr_batch and favourite_batch, docs/adr/0035 and 0038), and "star: VARIANT"
 * or "REST flattr: VARIANT" for each variant below (SQL run on its copy before the measurement).
 */

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  return Number(args.splice(i, 2)[1]);
};
const STARS = opt("stars", 6400);
const BATCH = opt("batch", 16);
const url =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://root@127.0.0.1:5432/test";

/** Star variants: SQL run on the copy before the measurement. */
const VARIANTS: Record<string, string[]> = {
  "tokens stamped": ["update access_tokens set last_used_at = now()"],
  // The star's functions kept on their indexes, as the flattr functions are (ADR 0005, 0031):
  // a plan made while `flattrs` was empty is a sequential scan that grows with the table.
  "SET enable_seqscan = off": [
    "alter function star_count set enable_seqscan = off",
    "alter function favourite_request set enable_seqscan = off",
  ],
  "without SET enable_seqscan = off": [
    "alter function star_count reset all",
    "alter function favourite_request reset all",
  ],
  // As in a load run of seconds: no ANALYZE replans the functions while flattrs grows.
  "no autoanalyze": ["alter table flattrs set (autovacuum_enabled = off)"],
  // Measure only: what the star count costs.
  "no star count": [
    "create or replace function star_count(p_thing int8) returns int8 language plpgsql stable as $$ begin return 0; end $$",
  ],
};

/** The routes' batches, or the per-call statements they replaced (docs/adr/0035, 0038). */
type Kind = "star" | "rest" | "star per call" | "rest per call";

async function session(dbUrl: string, nonce: string, kind: Kind) {
  const sizes = apiSizesFor(1);
  const database = openPostgres(dbUrl, { max: 1 });
  const db = database.db;
  const [row] = await queryRows<{ pid: number }>(db, sql`select pg_backend_pid() as pid`);
  const pid = Number(row!.pid);
  console.error(`${kind} backend pid ${pid} (perf record -p ${pid} profiles it)`);
  const clock = systemClock;
  const config = loadConfig({
    ORIGIN: "http://127.0.0.1:9",
    CURRENCY: "EUR",
    TIME_ZONE: "UTC",
    DATABASE_URL: dbUrl,
  });
  // What the routes hand the batchers: the token's hash and stamp cutoff, the thing or status.
  const call = (k: number) => {
    const { payer, thing } = requestFor(sizes, k);
    const token = tokenCredential(benchToken(nonce, payer), clock.now())!;
    return { c: flattrCall(clock, config, token, thing), statusId: statusIdFor(thing) };
  };
  let k = 0;
  const chunk = async (n: number) => {
    const before = backendCpuMs(pid);
    let ok = 0;
    for (const end = k + n; k < end; k += BATCH) {
      const calls = Array.from({ length: BATCH }, (_, i) => call(k + i));
      const stars = () =>
        calls.map(({ c, statusId }) => {
          const { payerId: _p, appId: _a, thingId: _t, tokenHash, ...rest } = c;
          return { ...rest, tokenHash: tokenHash!, statusId };
        });
      const rows =
        kind === "rest"
          ? await flattrMany(
              db,
              calls.map((x) => x.c),
            )
          : kind === "rest per call"
            ? await flattrManyPerCall(
                db,
                calls.map((x) => x.c),
              )
            : kind === "star"
              ? await starMany(db, stars())
              : await starManyPerCall(db, stars());
      ok += rows.filter((r) => !(r instanceof Error) && r.outcome === "ok").length;
    }
    return { ms: backendCpuMs(pid) - before, ok };
  };
  return { chunk, end: () => database.close() };
}

const CHUNK = opt("chunk", 640);
const names = args.length > 0 ? args : ["REST flattr", "star"];
const seeded = await createScratch(url, "starcost");
const nonce = randomBytes(8).toString("hex");
const copies: string[] = [];
try {
  const database = openScratch(seeded, 2);
  await migrate(database);
  await seedApi(database.db, apiSizesFor(1), nonce, { mastodon: true });
  await database.db.execute(sql`checkpoint`);
  await database.close();
  const sessions: Awaited<ReturnType<typeof session>>[] = [];
  for (const name of names) {
    const copy = await createScratch(url, "starcostv", seeded.name);
    copies.push(copy.name);
    const admin = postgres(copy.url, { max: 1, onnotice: () => {} });
    const colon = name.indexOf(": ");
    const variant = colon < 0 ? null : name.slice(colon + 2);
    if (variant !== null && !VARIANTS[variant]) throw new Error(`no variant ${variant}`);
    for (const q of variant ? VARIANTS[variant]! : []) await admin.unsafe(q);
    await admin.unsafe("vacuum analyze");
    await admin.end({ timeout: 5 });
    const base = variant === null ? name : name.slice(0, colon);
    const kind: Kind = base.startsWith("REST flattr")
      ? base.endsWith("per call")
        ? "rest per call"
        : "rest"
      : base.endsWith("per call")
        ? "star per call"
        : "star";
    const s = await session(copy.url, nonce, kind);
    await s.chunk(BATCH * 20); // warm-up: plans and caches, not counted
    sessions.push(s);
  }
  const results = await interleavedCosts(names, sessions, STARS, CHUNK);
  for (const s of sessions) await s.end();
  printCosts(
    `PostgreSQL backend CPU per request, batches of ${BATCH}, ${STARS} each in chunks of ${CHUNK}:`,
    names,
    results,
  );
} finally {
  for (const c of copies) await dropScratch(url, c);
  await dropScratch(url, seeded.name);
}
