import { sql } from "drizzle-orm";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, loadConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import type { BenchOptions, DbChoice } from "../lib/args.ts";
import { int, log, secs, timed } from "../lib/format.ts";
import {
  clonePglite,
  createScratch,
  dropScratch,
  newPglite,
  openScratch,
  type Scratch,
} from "../lib/scratch.ts";
import { rawInsertSelect } from "./baseline.ts";
import { profileClose } from "./profile.ts";
import {
  CLOSE_AT,
  CURRENCY,
  FEE_BP,
  PERIOD,
  type Sizes,
  seed,
  sizesFor,
  vacuumAnalyze,
} from "./seed.ts";
import { compare, expectedTotals, ledgerPicture, type Verdict } from "./verify.ts";

export interface CloseBenchResult {
  db: DbChoice;
  scale: number;
  sizes: Sizes;
  batchSize: number;
  feeBp: number;
  seedMs: number;
  vacuumMs: number;
  copyMs: number;
  closeMs: number;
  baselineMs: number;
  /** close / baseline; goal ≤ 2. */
  ratio: number;
  batches: number;
  batchMs: { min: number; median: number; max: number };
  closePayers: number;
  verify: Verdict;
  check?: { ms: number; violations: number };
  profile?: unknown;
}

export function benchConfig(batchSize: number | undefined): Config {
  return loadConfig({
    CURRENCY,
    FEE_BP: String(FEE_BP),
    TIME_ZONE: "UTC",
    CLOSE_BATCH_SIZE: String(batchSize ?? process.env.CLOSE_BATCH_SIZE ?? 5000),
  });
}

/** Runs the real closePeriod with a progress line, timing each batch. */
export async function timeClose(database: Database, config: Config, label: string) {
  const batchMs: number[] = [];
  let last = performance.now();
  const { ms, value } = await timed(() =>
    closePeriod(database.db, fixedClock(CLOSE_AT), config, PERIOD, {
      onProgress: (p) => {
        const now = performance.now();
        batchMs.push(now - last);
        last = now;
        if (p.batches % 5 === 0 || p.usersDone === p.usersTotal)
          log(`  ${label} close: ${int(p.usersDone)}/${int(p.usersTotal)} payers`);
      },
    }),
  );
  // The first "batch" interval also holds the seal and the payer count.
  const sorted = [...batchMs].sort((a, b) => a - b);
  return {
    ms,
    result: value,
    batches: batchMs.length,
    batchMs: {
      min: sorted[0] ?? 0,
      median: sorted[Math.floor(sorted.length / 2)] ?? 0,
      max: sorted[sorted.length - 1] ?? 0,
    },
  };
}

async function countClosePayers(database: Database): Promise<number> {
  const [r] = await queryRows<{ n: string }>(
    database.db,
    sql`select count(*)::text as n from close_payers where period = ${PERIOD}`,
  );
  return Number(r?.n ?? 0);
}

async function ledgerCheck(database: Database) {
  const { ms, value } = await timed(() => checkLedger(database.db));
  for (const v of value.slice(0, 10)) log(`  ledger check: ${v.rule}: ${v.message}`);
  return { ms, violations: value.length };
}

async function finish(
  base: Omit<CloseBenchResult, "ratio" | "verify" | "closePayers" | "check">,
  closeDb: Database,
  baseDb: Database,
  opts: BenchOptions,
): Promise<CloseBenchResult> {
  log(`  verifying: close ledger vs baseline ledger vs the seed's formulas…`);
  const verify = compare(
    await ledgerPicture(closeDb.db),
    await ledgerPicture(baseDb.db),
    expectedTotals(base.sizes),
  );
  for (const p of verify.problems) log(`  MISMATCH: ${p}`);
  const result: CloseBenchResult = {
    ...base,
    ratio: base.closeMs / base.baselineMs,
    closePayers: await countClosePayers(closeDb),
    verify,
  };
  if (opts.check) result.check = await ledgerCheck(closeDb);
  return result;
}

async function runPostgres(opts: BenchOptions): Promise<CloseBenchResult> {
  const sizes = sizesFor(opts.scale);
  const config = benchConfig(opts.batchSize);
  const scratch: Scratch[] = [];
  try {
    const seeded = await createScratch(opts.url, "seed");
    scratch.push(seeded);
    const sdb = openScratch(seeded);
    let seedMs: number;
    let vacuumMs: number;
    try {
      await migrate(sdb);
      log(
        `PostgreSQL close: seeding ${seeded.name}: ${int(sizes.payers)} payers, ${int(sizes.creators)} creators, ${int(sizes.things)} things, ${int(sizes.flattrs)} flattrs…`,
      );
      seedMs = (
        await timed(() => seed(sdb.db, sizes, (step, ms) => log(`    seed ${step}: ${secs(ms)}`)))
      ).ms;
      vacuumMs = (await timed(() => vacuumAnalyze(sdb.db))).ms;
      log(`  seeded in ${secs(seedMs)}, vacuum analyze ${secs(vacuumMs)}`);
    } finally {
      await sdb.close();
    }
    const copy = await timed(async () => {
      const a = await createScratch(opts.url, "close", seeded.name);
      scratch.push(a);
      const b = await createScratch(opts.url, "base", seeded.name);
      scratch.push(b);
      return [a, b] as const;
    });
    const [closeScratch, baseScratch] = copy.value;
    log(`  two copies (CREATE DATABASE … TEMPLATE) in ${secs(copy.ms)}`);

    const closeDb = openScratch(closeScratch);
    const baseDb = openScratch(baseScratch);
    try {
      log(`  closePeriod(${PERIOD}), batch size ${config.closeBatchSize}…`);
      const close = await timeClose(closeDb, config, "pg");
      log(`  close: ${secs(close.ms)} in ${close.batches} batches`);
      log(`  baseline: one INSERT … SELECT…`);
      const baseline = await timed(() => rawInsertSelect(baseDb.db));
      log(
        `  baseline: ${secs(baseline.ms)} (${int(baseline.value.entries)} entries, ${int(baseline.value.postings)} postings)`,
      );
      const result = await finish(
        {
          db: "pg",
          scale: opts.scale,
          sizes,
          batchSize: config.closeBatchSize,
          feeBp: FEE_BP,
          seedMs,
          vacuumMs,
          copyMs: copy.ms,
          closeMs: close.ms,
          baselineMs: baseline.ms,
          batches: close.batches,
          batchMs: close.batchMs,
        },
        closeDb,
        baseDb,
        opts,
      );
      if (opts.profile) {
        await closeDb.close();
        await baseDb.close();
        result.profile = await profileClose(opts, seeded, config, scratch);
      }
      return result;
    } finally {
      await closeDb.close().catch(() => {});
      await baseDb.close().catch(() => {});
    }
  } finally {
    if (opts.keep) log(`  kept: ${scratch.map((s) => s.name).join(", ")}`);
    else for (const s of scratch) await dropScratch(opts.url, s.name);
  }
}

async function runPglite(opts: BenchOptions): Promise<CloseBenchResult> {
  const sizes = sizesFor(opts.pgliteScale);
  const config = benchConfig(opts.batchSize);
  log(
    `PGlite close (in-memory): seeding ${int(sizes.payers)} payers, ${int(sizes.flattrs)} flattrs…`,
  );
  const seeded = await newPglite();
  const handles = [seeded];
  try {
    await migrate(seeded.database);
    const seedMs = (await timed(() => seed(seeded.database.db, sizes))).ms;
    const vacuumMs = (await timed(() => vacuumAnalyze(seeded.database.db))).ms;
    log(`  seeded in ${secs(seedMs)}, vacuum analyze ${secs(vacuumMs)}`);
    const copy = await timed(() => clonePglite(seeded));
    handles.push(copy.value);
    log(`  copy (PGlite clone()) in ${secs(copy.ms)}`);
    const closeDb = seeded.database;
    const baseDb = copy.value.database;
    log(`  closePeriod(${PERIOD}), batch size ${config.closeBatchSize}…`);
    const close = await timeClose(closeDb, config, "pglite");
    log(`  close: ${secs(close.ms)} in ${close.batches} batches`);
    const baseline = await timed(() => rawInsertSelect(baseDb.db));
    log(`  baseline: ${secs(baseline.ms)}`);
    return await finish(
      {
        db: "pglite",
        scale: opts.pgliteScale,
        sizes,
        batchSize: config.closeBatchSize,
        feeBp: FEE_BP,
        seedMs,
        vacuumMs,
        copyMs: copy.ms,
        closeMs: close.ms,
        baselineMs: baseline.ms,
        batches: close.batches,
        batchMs: close.batchMs,
      },
      closeDb,
      baseDb,
      opts,
    );
  } finally {
    for (const h of handles) await h.database.close().catch(() => {});
  }
}

export async function runCloseBench(opts: BenchOptions): Promise<CloseBenchResult[]> {
  const results: CloseBenchResult[] = [];
  if (opts.dbs.includes("pg")) results.push(await runPostgres(opts));
  if (opts.dbs.includes("pglite")) results.push(await runPglite(opts));
  return results;
}
