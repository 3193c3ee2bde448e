import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Config } from "../../src/config/config.ts";
import type { Database, Db } from "../../src/db/client.ts";
import * as schema from "../../src/db/schema/index.ts";
import type { BenchOptions } from "../lib/args.ts";
import { int, log, secs, timed } from "../lib/format.ts";
import { createScratch, dropScratch, type Scratch } from "../lib/scratch.ts";
import { rawInsertSelect } from "./baseline.ts";
import { timeClose } from "./index.ts";

/*
 * --profile: where the close's time goes, on fresh copies of the seeded database.
 *  1. One close with every statement captured (postgres.js debug hook): wall time per kind of
 *     statement, commits included (the deferred per-entry balance check runs at COMMIT).
 *  2. EXPLAIN (ANALYZE, BUFFERS) of the first batch's statements on another fresh copy, with
 *     the deferred constraint made immediate so its cost shows up, then rolled back.
 *  3. A batch-size sweep: the whole close at several batch sizes, each on a fresh copy, each
 *     with the baseline on its own fresh copy right after it (same-run ratio per size).
 */

interface Captured {
  text: string;
  params: unknown[];
  at: number;
}

export function kind(text: string): string {
  const t = text.replace(/\s+/g, " ").trim().toLowerCase();
  if (t.startsWith("begin")) return "begin";
  if (t.startsWith("commit")) return "commit (deferred entry checks)";
  if (t.startsWith("rollback")) return "rollback";
  if (t.includes("pg_advisory_xact_lock")) return "seal: period lock";
  if (t.includes("insert into closed_periods")) return "seal: insert closed_periods";
  if (t.includes("from closed_periods")) return "seal: read closed_periods";
  if (t.includes("update closed_periods")) return "final: update closed_periods";
  if (t.includes("from close_payers") && !t.includes("insert")) return "final: period stats";
  if (t.includes("count(distinct payer_id)")) return "count payers";
  if (t.includes("max(payer_id)")) return "batch bounds";
  if (t.startsWith("set ")) return `batch: ${t}`;
  if (t.includes("for update")) return "batch: lock wallet balances";
  if (t.includes("insert into close_payers")) return "batch: claim+split+post";
  return t.slice(0, 40);
}

export async function captureClose(url: string, config: Config) {
  const captured: Captured[] = [];
  const client = postgres(url, {
    max: 10,
    onnotice: () => {},
    types: {},
    debug: (_c, text, params) => {
      captured.push({ text, params, at: performance.now() });
    },
  });
  const database: Database = {
    db: drizzle(client, { schema }) as unknown as Db,
    kind: "postgres",
    url,
    close: () => client.end({ timeout: 5 }),
  };
  let end = 0;
  try {
    await timeClose(database, config, "profile");
    end = performance.now();
  } finally {
    await database.close();
  }
  const byKind = new Map<string, { n: number; ms: number }>();
  captured.forEach((c, i) => {
    const ms = (captured[i + 1]?.at ?? end) - c.at;
    const k = kind(c.text);
    const v = byKind.get(k) ?? { n: 0, ms: 0 };
    byKind.set(k, { n: v.n + 1, ms: v.ms + ms });
  });
  return { captured, byKind };
}

/** Inlines $n parameters (numbers and plain strings only: our own close's statements). */
function inline(c: Captured): string {
  return c.text.replace(/\$(\d+)/g, (_m, n) => {
    const v = c.params[Number(n) - 1];
    return typeof v === "number" || typeof v === "bigint"
      ? String(v)
      : `'${String(v).replace(/'/g, "''")}'`;
  });
}

export async function explainFirstBatch(
  url: string,
  settings: Captured[],
  statements: Captured[],
): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const plans: string[] = [];
  try {
    await sql
      .begin(async (tx) => {
        await tx.unsafe("set constraints all immediate");
        for (const s of settings) await tx.unsafe(inline(s));
        for (const s of statements) {
          const rows = await tx.unsafe(`explain (analyze, buffers) ${inline(s)}`);
          plans.push(rows.map((r) => String(r["QUERY PLAN"])).join("\n"));
        }
        throw new RollbackSignal();
      })
      .catch((e) => {
        if (!(e instanceof RollbackSignal)) throw e;
      });
  } finally {
    await sql.end({ timeout: 5 });
  }
  return plans;
}

class RollbackSignal extends Error {}

export async function profileClose(
  opts: BenchOptions,
  seeded: Scratch,
  config: Config,
  scratch: Scratch[],
) {
  const fresh = async (tag: string) => {
    const s = await createScratch(opts.url, tag, seeded.name);
    scratch.push(s);
    return s;
  };
  const done = async (s: Scratch) => {
    await dropScratch(opts.url, s.name);
    scratch.splice(scratch.indexOf(s), 1);
  };

  log("profile 1/3: one close with every statement captured…");
  const c1 = await fresh("prof");
  const { captured, byKind } = await captureClose(c1.url, config);
  await done(c1);
  const statements = [...byKind.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([k, v]) => ({ statement: k, count: v.n, ms: Math.round(v.ms) }));
  for (const s of statements) log(`  ${s.statement}: ${s.count} × → ${secs(s.ms)}`);

  log("profile 2/3: EXPLAIN ANALYZE of the first batch (constraints immediate, rolled back)…");
  const firstLock = captured.findIndex((c) => kind(c.text) === "batch: lock wallet balances");
  const firstBatch = captured.findIndex((c) => kind(c.text) === "batch: claim+split+post");
  // The batch's own settings (e.g. `set local jit = off`) apply to the EXPLAIN too.
  const settings = captured
    .slice(0, firstBatch)
    .filter((c, i) => i > firstLock - 5 && /^\s*set\s/i.test(c.text));
  const c2 = await fresh("explain");
  const plans =
    firstLock >= 0 && firstBatch >= 0
      ? await explainFirstBatch(c2.url, settings, [captured[firstLock]!, captured[firstBatch]!])
      : [];
  await done(c2);
  for (const p of plans) log(p);

  log("profile 3/3: batch-size sweep (close and baseline, each on a fresh copy)…");
  const sweep: { batchSize: number; closeMs: number; baselineMs: number; ratio: number }[] = [];
  for (const batchSize of sweepSizes(opts)) {
    const a = await fresh("sweep");
    const ca = postgres(a.url, { max: 10, onnotice: () => {}, types: {} });
    const da: Database = {
      db: drizzle(ca, { schema }) as unknown as Db,
      kind: "postgres",
      close: () => ca.end({ timeout: 5 }),
    };
    const close = await timeClose(
      da,
      { ...config, closeBatchSize: batchSize },
      `sweep ${batchSize}`,
    );
    await da.close();
    await done(a);
    const b = await fresh("sweepbase");
    const cb = postgres(b.url, { max: 1, onnotice: () => {}, types: {} });
    const baseline = await timed(() => rawInsertSelect(drizzle(cb, { schema }) as unknown as Db));
    await cb.end({ timeout: 5 });
    await done(b);
    const row = {
      batchSize,
      closeMs: Math.round(close.ms),
      baselineMs: Math.round(baseline.ms),
      ratio: close.ms / baseline.ms,
    };
    sweep.push(row);
    log(
      `  batch ${int(batchSize)}: close ${secs(row.closeMs)}, baseline ${secs(row.baselineMs)}, ${row.ratio.toFixed(2)}×`,
    );
  }
  return { statements, plans, sweep };
}

function sweepSizes(opts: BenchOptions): number[] {
  const payers = Math.max(20, Math.round((100_000 * opts.scale) / 20) * 20);
  return [...new Set([1000, 5000, 20000, payers].filter((n) => n <= payers))];
}
