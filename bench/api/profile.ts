import { randomBytes } from "node:crypto";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { createApp } from "../../src/app.ts";
import { systemClock } from "../../src/config/clock.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { Database, Db } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import * as schema from "../../src/db/schema/index.ts";
import type { BenchOptions } from "../lib/args.ts";
import { log } from "../lib/format.ts";
import { createScratch, dropScratch } from "../lib/scratch.ts";
import { apiSizesFor, benchToken, requestFor, seedApi } from "./seed.ts";

/*
 * --profile for the API: one flattr request at a time through the real app (in process, no
 * HTTP), on PostgreSQL, counting the statements it sends (postgres.js debug hook) and timing it;
 * then the same for a bare one-row insert. Explains the load figures: round trips and commits
 * per request, and latency without any concurrency.
 */

export interface ApiProfile {
  requests: number;
  statementsPerRequest: number;
  commitsPerRequest: number;
  statements: Record<string, number>;
  msPerRequest: { p50: number; p90: number };
  insertMs: { p50: number; p90: number };
}

function label(text: string): string {
  const t = text.replace(/\s+/g, " ").trim().toLowerCase();
  if (t === "begin" || t.startsWith("begin")) return "begin";
  if (t === "commit") return "commit";
  if (t.includes('from "access_tokens"')) return "token lookup";
  if (t.startsWith('update "access_tokens"')) return "token last_used_at update";
  if (t.startsWith("with stamp as (")) return "token lookup + stamp";
  if (t.includes("from flattr_thing(")) return "flattr_thing()";
  if (t.includes("from things")) return "thing lookup";
  if (t.includes("pg_advisory_xact_lock_shared")) return "period lock (shared)";
  if (t.includes("from closed_periods")) return "period open check";
  if (t.includes("from budgets")) return "budget row lock";
  if (t.includes("count(*) filter")) return "limits (counts)";
  if (t.startsWith("insert into flattrs")) return "insert flattr";
  return t.slice(0, 50);
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

export async function profileApi(opts: BenchOptions): Promise<ApiProfile> {
  const s = await createScratch(opts.url, "apiprof");
  const seen: string[] = [];
  const client = postgres(s.url, {
    max: 10,
    onnotice: () => {},
    types: {},
    debug: (_c, text) => {
      seen.push(text);
    },
  });
  const database: Database = {
    db: drizzle(client, { schema }) as unknown as Db,
    kind: "postgres",
    url: s.url,
    close: () => client.end({ timeout: 5 }),
  };
  try {
    await migrate(database);
    const sizes = apiSizesFor(0.05);
    const nonce = randomBytes(8).toString("hex");
    await seedApi(database.db, sizes, nonce);
    const config = loadConfig({
      ORIGIN: "http://127.0.0.1:9",
      CURRENCY: "EUR",
      TIME_ZONE: "UTC",
      DATABASE_URL: s.url,
    });
    const app = createApp({ config, database, clock: systemClock });
    const N = 300;
    const ms: number[] = [];
    seen.length = 0;
    for (let k = 0; k < N; k++) {
      const { payer, thing } = requestFor(sizes, k);
      const start = performance.now();
      const res = await app.fetch(
        new Request(`http://127.0.0.1:9/api/flattr/v1/things/${thing}/flattr`, {
          method: "POST",
          headers: { authorization: `Bearer ${benchToken(nonce, payer)}` },
        }),
      );
      await res.text();
      ms.push(performance.now() - start);
      if (res.status !== 201) throw new Error(`profile request answered ${res.status}`);
    }
    const sent = seen.length;
    const statements: Record<string, number> = {};
    for (const t of seen) statements[label(t)] = (statements[label(t)] ?? 0) + 1;
    for (const k of Object.keys(statements)) statements[k] = statements[k]! / N;
    await client.unsafe(
      "create table bench_one (id bigint generated always as identity primary key, v text)",
    );
    const insertMs: number[] = [];
    for (let k = 0; k < N; k++) {
      const start = performance.now();
      await client`insert into bench_one (v) values (${String(k)}) returning id`;
      insertMs.push(performance.now() - start);
    }
    const profile: ApiProfile = {
      requests: N,
      statementsPerRequest: sent / N,
      // Explicit commits plus the statements that write outside a transaction (each commits).
      commitsPerRequest:
        (statements.commit ?? 0) +
        (statements["token last_used_at update"] ?? 0) +
        (statements["token lookup + stamp"] ?? 0) +
        (statements["flattr_thing()"] ?? 0),
      statements,
      msPerRequest: { p50: pct(ms, 0.5), p90: pct(ms, 0.9) },
      insertMs: { p50: pct(insertMs, 0.5), p90: pct(insertMs, 0.9) },
    };
    log(
      `  API profile: ${profile.statementsPerRequest.toFixed(1)} statements and ${profile.commitsPerRequest.toFixed(1)} commits per flattr request; one at a time: p50 ${profile.msPerRequest.p50.toFixed(1)} ms (a bare insert: ${profile.insertMs.p50.toFixed(1)} ms)`,
    );
    for (const [k, v] of Object.entries(statements)) log(`    ${v.toFixed(2)} × ${k}`);
    return profile;
  } finally {
    await database.close();
    await dropScratch(opts.url, s.name);
  }
}
