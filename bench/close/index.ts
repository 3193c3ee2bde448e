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

export interface CloseRun {
  closeMs: number;
  baselineMs: number;
  ratio: number;
  /** Which ran first on this pair of fresh copies (the order alternates between repeats). */
  first: "close" | "baseline";
  batches: number;
  batchMs: { min: number; median: number; max: number };
}

export interface CloseBenchResult {
  db: DbChoice;
  scale: number;
  sizes: Sizes;
  batchSize: number;
  feeBp: number;
  seedMs: number;
  vacuumMs: number;
  /** Making one pair of identical copies. */
  copyMs: number;
  /** Medians over the runs. */
  closeMs: number;
  baselineMs: number;
  /** Median of the per-run close / baseline ratios; goal ≤ 2. */
  ratio: number;
  runs: CloseRun[];
  closePayers: number;
  /** Of the first run's two ledgers. */
  verify: Verdict;
  check?: { ms: number; violations: number };
  profile?: unknown;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

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

/** A pair of identical fresh copies of the seeded database; `drop` discards both. */
interface Pair {
  closeDb: Database;
  baseDb: Database;
  ms: number;
  drop(): Promise<void>;
}

interface Seeded {
  seedMs: number;
  vacuumMs: number;
  /** `last`: no copy of the seeded database is needed afterwards (PGlite then uses it itself). */
  pair(last: boolean): Promise<Pair>;
  /** PostgreSQL only: the template, for --profile. */
  template?: Scratch;
  scratch?: Scratch[];
  dispose(): Promise<void>;
}

/**
 * Seed once, then `opts.repeat` times: a fresh pair of copies, the close on one and the
 * baseline on the other, alternating which goes first (so neither always gets the warmer
 * cache or the quieter minute). The first pair's ledgers are verified against each other.
 */
async function measure(
  db: DbChoice,
  scale: number,
  seeded: Seeded,
  opts: BenchOptions,
): Promise<CloseBenchResult> {
  const sizes = sizesFor(scale);
  const config = benchConfig(opts.batchSize);
  const runs: CloseRun[] = [];
  let verify: Verdict | undefined;
  let closePayers = 0;
  let check: CloseBenchResult["check"];
  let copyMs = 0;
  for (let i = 0; i < opts.repeat; i++) {
    const pair = await seeded.pair(i === opts.repeat - 1);
    copyMs = pair.ms;
    try {
      const first = i % 2 === 0 ? "close" : "baseline";
      const tag = opts.repeat > 1 ? ` (run ${i + 1}/${opts.repeat}, ${first} first)` : "";
      let close: Awaited<ReturnType<typeof timeClose>> | undefined;
      let baselineMs = 0;
      const doClose = async () => {
        log(`  closePeriod(${PERIOD}), batch size ${config.closeBatchSize}${tag}…`);
        close = await timeClose(pair.closeDb, config, db);
        log(`  close: ${secs(close.ms)} in ${close.batches} batches`);
      };
      const doBaseline = async () => {
        log(`  baseline: one INSERT … SELECT${tag}…`);
        const b = await timed(() => rawInsertSelect(pair.baseDb.db));
        baselineMs = b.ms;
        log(
          `  baseline: ${secs(b.ms)} (${int(b.value.entries)} entries, ${int(b.value.postings)} postings)`,
        );
      };
      if (first === "close") {
        await doClose();
        await doBaseline();
      } else {
        await doBaseline();
        await doClose();
      }
      runs.push({
        closeMs: close!.ms,
        baselineMs,
        ratio: close!.ms / baselineMs,
        first,
        batches: close!.batches,
        batchMs: close!.batchMs,
      });
      if (i === 0) {
        log(`  verifying: close ledger vs baseline ledger vs the seed's formulas…`);
        verify = compare(
          await ledgerPicture(pair.closeDb.db),
          await ledgerPicture(pair.baseDb.db),
          expectedTotals(sizes),
        );
        for (const p of verify.problems) log(`  MISMATCH: ${p}`);
        closePayers = await countClosePayers(pair.closeDb);
        if (opts.check) check = await ledgerCheck(pair.closeDb);
      }
    } finally {
      await pair.drop();
    }
  }
  return {
    db,
    scale,
    sizes,
    batchSize: config.closeBatchSize,
    feeBp: FEE_BP,
    seedMs: seeded.seedMs,
    vacuumMs: seeded.vacuumMs,
    copyMs,
    closeMs: median(runs.map((r) => r.closeMs)),
    baselineMs: median(runs.map((r) => r.baselineMs)),
    ratio: median(runs.map((r) => r.ratio)),
    runs,
    closePayers,
    verify: verify!,
    ...(check ? { check } : {}),
  };
}

async function seedPostgres(opts: BenchOptions, scratch: Scratch[]): Promise<Seeded> {
  const sizes = sizesFor(opts.scale);
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
  return {
    seedMs,
    vacuumMs,
    template: seeded,
    scratch,
    pair: async () => {
      const copy = await timed(async () => {
        const a = await createScratch(opts.url, "close", seeded.name);
        const b = await createScratch(opts.url, "base", seeded.name);
        return [a, b] as const;
      });
      const [a, b] = copy.value;
      log(`  two copies (CREATE DATABASE … TEMPLATE) in ${secs(copy.ms)}`);
      const closeDb = openScratch(a);
      const baseDb = openScratch(b);
      return {
        closeDb,
        baseDb,
        ms: copy.ms,
        drop: async () => {
          await closeDb.close().catch(() => {});
          await baseDb.close().catch(() => {});
          if (opts.keep) {
            log(`  kept: ${a.name} (closed), ${b.name} (baseline)`);
            return;
          }
          await dropScratch(opts.url, a.name);
          await dropScratch(opts.url, b.name);
        },
      };
    },
    dispose: async () => {
      if (opts.keep) log(`  kept: ${seeded.name} (seeded template)`);
      else await dropScratch(opts.url, seeded.name);
    },
  };
}

async function runPostgres(opts: BenchOptions): Promise<CloseBenchResult> {
  const scratch: Scratch[] = [];
  const seeded = await seedPostgres(opts, scratch);
  try {
    const result = await measure("pg", opts.scale, seeded, opts);
    if (opts.profile)
      result.profile = await profileClose(
        opts,
        seeded.template!,
        benchConfig(opts.batchSize),
        scratch,
      );
    return result;
  } finally {
    await seeded.dispose();
  }
}

async function runPglite(opts: BenchOptions): Promise<CloseBenchResult> {
  const sizes = sizesFor(opts.pgliteScale);
  log(
    `PGlite close (in-memory): seeding ${int(sizes.payers)} payers, ${int(sizes.flattrs)} flattrs…`,
  );
  const seeded = await newPglite();
  try {
    await migrate(seeded.database);
    const seedMs = (await timed(() => seed(seeded.database.db, sizes))).ms;
    const vacuumMs = (await timed(() => vacuumAnalyze(seeded.database.db))).ms;
    log(`  seeded in ${secs(seedMs)}, vacuum analyze ${secs(vacuumMs)}`);
    return await measure(
      "pglite",
      opts.pgliteScale,
      {
        seedMs,
        vacuumMs,
        // In memory, every copy costs RAM (about 3 GB at 1,000,000 flattrs): the last pair
        // uses the seeded database itself and one clone.
        pair: async (last) => {
          const copy = await timed(async () =>
            last
              ? [seeded, await clonePglite(seeded)]
              : [await clonePglite(seeded), await clonePglite(seeded)],
          );
          const [a, b] = copy.value;
          log(`  ${last ? "one copy" : "two copies"} (PGlite clone()) in ${secs(copy.ms)}`);
          return {
            closeDb: a!.database,
            baseDb: b!.database,
            ms: copy.ms,
            drop: async () => {
              if (a !== seeded) await a!.database.close();
              await b!.database.close();
            },
          };
        },
        dispose: async () => {},
      },
      opts,
    );
  } finally {
    await seeded.database.close();
  }
}

export async function runCloseBench(opts: BenchOptions): Promise<CloseBenchResult[]> {
  const results: CloseBenchResult[] = [];
  if (opts.dbs.includes("pg")) results.push(await runPostgres(opts));
  if (opts.dbs.includes("pglite")) results.push(await runPglite(opts));
  return results;
}
