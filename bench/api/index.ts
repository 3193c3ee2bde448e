import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { migrate } from "../../src/db/migrate.ts";
import type { BenchOptions, DbChoice } from "../lib/args.ts";
import { machineBusyMs, machineIdleShare, postgresCpuBetween, postgresCpuMs } from "../lib/cpu.ts";
import { int, log } from "../lib/format.ts";
import { type PgWaitFigures, samplePgWaits, timeWalFlushes } from "../lib/pg-waits.ts";
import {
  checkpoint,
  createScratch,
  dropScratch,
  openScratch,
  type Scratch,
} from "../lib/scratch.ts";
import { type ApiProfile, profileApi } from "./profile.ts";
import { type ApiSizes, apiSizesFor, benchToken, payerId, requestFor, seedApi } from "./seed.ts";
import type { BatchFigures, ServerSpec } from "./server.ts";

/*
 * The flattr API under load: POST /api/flattr/v1/things/{id}/flattr with a bearer token, every
 * request a distinct valid flattr (a new (payer, thing) pair, rotating over many payers), against
 * the real instance; then the same autocannon settings against a bare Hono + postgres.js endpoint
 * that inserts one row. Each server runs in its own process; each run has a warm-up first.
 * Afterwards the rows in the database must equal the 2xx responses (no lost or phantom writes).
 */

/** The pool size of both servers: src/db/client.ts's default for openPostgres. */
export const POOL = 10;
const SERVER = fileURLToPath(new URL("./server.ts", import.meta.url));

export interface LoadFigures {
  requests: number;
  ok: number;
  /** Successful (2xx) requests per second over the measured duration. */
  okPerSec: number;
  /** All responses per second (autocannon's mean of per-second samples). */
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** CPU time of the server process (not the database) per request of the measured run. */
  serverCpuMsPerRequest: number;
  /** CPU time of the database's processes per request (Linux; null elsewhere). */
  dbCpuMsPerRequest: number | null;
  /** CPU time of the load generator (autocannon, in the bench process) per request. */
  loadCpuMsPerRequest: number;
  /** Busy CPU time of the whole machine per request, all cores (Linux; null elsewhere). */
  machineCpuMsPerRequest: number | null;
  /** Share of the machine's cores busy during the run (1 = all of them). */
  machineBusy: number | null;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** First few non-2xx responses, for the report. */
  samples: { status: number; body: string }[];
  /** Rows the server wrote (flattrs / bench_flattrs) after warm-up and run. */
  rowsWritten: number;
  /** 2xx of warm-up + run; rowsWritten must be this plus at most the abandoned in-flight requests. */
  okTotal: number;
  /** Ours: the group-commit batches of the measured run (queued and running time per flattr). */
  batches?: BatchFigures | null;
  /** --pg-waits: what the server's PostgreSQL sessions waited on, and the run's WAL. */
  pgWaits?: PgWaitFigures | null;
}

export interface ApiBenchResult {
  db: DbChoice;
  scale: number;
  sizes: ApiSizes;
  connections: number;
  durationS: number;
  warmupS: number;
  pool: number;
  ours: LoadFigures;
  baseline: LoadFigures;
  /** The machine's idle share in the seconds before this pair (null: not measured). */
  idleBefore: number | null;
  /** ours.okPerSec / baseline.okPerSec; goal ≥ 0.5. */
  ratio: number;
  /** --profile, PostgreSQL: statements per request and unloaded latency. */
  profile?: ApiProfile;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

interface Reply {
  type: string;
  n?: number;
  ms?: number;
  batches?: BatchFigures | null;
}

export interface Child {
  proc: ChildProcess;
  port: number;
  /** PostgreSQL: the database the server writes to. */
  url?: string;
  count(): Promise<number>;
  /** CPU time (user + system) the server process has used so far. */
  cpuMs(): Promise<number>;
  /** Ours: its group-commit batches since the last call (null: the baseline). */
  batches(): Promise<BatchFigures | null>;
  stop(): Promise<void>;
}

export async function startChild(
  spec: Omit<ServerSpec, "port" | "pool">,
  cpuProfDir: string | undefined,
  pgWaits = false,
): Promise<Child> {
  // Before the server connects: the setting applies to sessions that start afterwards.
  if (pgWaits && spec.db === "pg" && spec.url) await timeWalFlushes(spec.url);
  const port = await freePort();
  const full: ServerSpec = { ...spec, port, pool: POOL };
  const prof = cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [];
  const proc = spawn(process.execPath, [...prof, "--import", "tsx", SERVER, JSON.stringify(full)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waitFor = (type: string) =>
    new Promise<Reply>((resolve, reject) => {
      const onMessage = (m: Reply) => {
        if (m.type !== type) return;
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        resolve(m);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`${spec.kind} server exited (${code}) before "${type}"`));
      proc.on("message", onMessage);
      proc.once("exit", onExit);
    });
  await waitFor("ready");
  return {
    proc,
    port,
    url: spec.url,
    count: async () => {
      const reply = waitFor("count");
      proc.send({ type: "count" });
      return (await reply).n ?? 0;
    },
    cpuMs: async () => {
      const reply = waitFor("cpu");
      proc.send({ type: "cpu" });
      return (await reply).ms ?? 0;
    },
    batches: async () => {
      const reply = waitFor("batches");
      proc.send({ type: "batches" });
      return (await reply).batches ?? null;
    },
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.send({ type: "stop" });
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Rows written once the requests autocannon abandoned at the end of each run (at most one per
 * connection) have finished on the server: the count stops changing.
 */
async function settledCount(child: Child): Promise<number> {
  let last = await child.count();
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const n = await child.count();
    if (n === last) return n;
    last = n;
  }
  return last;
}

/** The REST API's flattr of thing `thing` (the default request). */
const restFlattrPath = (thing: number) => `/api/flattr/v1/things/${thing}/flattr`;

/**
 * Drives one server: warm-up, then the measured run, continuing the request sequence. Each
 * request POSTs to `pathFor(thing)` (the REST API's flattr unless given).
 */
export async function drive(
  child: Child,
  sizes: ApiSizes,
  tokens: string[],
  opts: BenchOptions,
  label: string,
  db: DbChoice,
  pathFor: (thing: number) => string = restFlattrPath,
): Promise<LoadFigures> {
  let k = 0;
  const samples: { status: number; body: string }[] = [];
  const run = (duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${child.port}`,
      connections: opts.connections,
      duration,
      timeout: 10,
      requests: [
        {
          method: "POST",
          setupRequest: (req) => {
            const { payer, thing } = requestFor(sizes, k++);
            return {
              ...req,
              method: "POST",
              path: pathFor(thing),
              headers: {
                ...req.headers,
                authorization: `Bearer ${tokens[payer - sizes.creators - 1]}`,
              },
            };
          },
          onResponse: (status, body) => {
            if ((status < 200 || status >= 300) && samples.length < 5)
              samples.push({ status, body: body.slice(0, 300) });
          },
        },
      ],
    });
  let warmOk = 0;
  if (opts.warmup > 0) {
    log(`  ${label}: warm-up ${opts.warmup} s…`);
    warmOk = (await run(opts.warmup))["2xx"];
  }
  log(`  ${label}: ${opts.duration} s, ${opts.connections} connections…`);
  await child.batches(); // the warm-up's
  const cpuBefore = await child.cpuMs();
  const dbBefore = postgresCpuMs();
  const machineBefore = machineBusyMs();
  const waits =
    opts.pgWaits && db === "pg" && child.url ? await samplePgWaits(child.url, opts.duration) : null;
  const loadBefore = process.cpuUsage();
  const r = await run(opts.duration);
  const load = process.cpuUsage(loadBefore);
  const machineAfter = machineBusyMs();
  const dbMs = postgresCpuBetween(dbBefore, postgresCpuMs());
  const cpuMs = (await child.cpuMs()) - cpuBefore;
  const batches = await child.batches();
  const pgWaits = waits ? await waits.done() : null;
  const perRequest = (ms: number | null) =>
    ms == null ? null : ms / Math.max(1, r.requests.total);
  const machineMs =
    machineBefore == null || machineAfter == null ? null : machineAfter - machineBefore;
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = v.count;
  const figures: LoadFigures = {
    requests: r.requests.total,
    ok: r["2xx"],
    okPerSec: r["2xx"] / r.duration,
    reqPerSec: r.requests.average,
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      mean: r.latency.mean ?? r.latency.average,
    },
    serverCpuMsPerRequest: cpuMs / Math.max(1, r.requests.total),
    dbCpuMsPerRequest: db === "pg" ? perRequest(dbMs) : null,
    loadCpuMsPerRequest: (load.user + load.system) / 1000 / Math.max(1, r.requests.total),
    machineCpuMsPerRequest: perRequest(machineMs),
    machineBusy:
      machineMs == null ? null : machineMs / (r.duration * 1000 * availableParallelism()),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    samples,
    rowsWritten: await settledCount(child),
    okTotal: warmOk + r["2xx"],
    batches,
    pgWaits,
  };
  log(
    `  ${label}: ${int(figures.okPerSec)} ok/s, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, non-2xx ${figures.non2xx}, errors ${figures.errors}, CPU ms/request: server ${figures.serverCpuMsPerRequest.toFixed(2)}, database ${figures.dbCpuMsPerRequest?.toFixed(2) ?? "—"}, load generator ${figures.loadCpuMsPerRequest.toFixed(2)}, machine ${figures.machineCpuMsPerRequest?.toFixed(2) ?? "—"} (${figures.machineBusy == null ? "—" : Math.round(figures.machineBusy * 100)} % busy)`,
  );
  if (batches)
    log(
      `  ${label}: ${int(batches.batches)} batches of ${(batches.items / Math.max(1, batches.batches)).toFixed(1)} flattrs (${Math.round(batches.singles * 100)} % alone), ${batches.inFlightAtStart.toFixed(2)} in flight at a start; per flattr ${batches.queuedMs.toFixed(2)} ms queued + ${batches.runMs.toFixed(2)} ms its batch's run (a batch ${batches.batchRunMs.toFixed(2)} ms, one alone ${batches.singleRunMs?.toFixed(2) ?? "—"} ms); ${int(batches.perCall)} decided per call`,
    );
  if (pgWaits) log(`  ${label}: ${pgWaitsLine(pgWaits, r.requests.total, r.duration, batches)}`);
  if (figures.non2xx > 0)
    log(
      `  ${label}: NON-2XX RESPONSES ${JSON.stringify(statusCodes)} e.g. ${JSON.stringify(samples[0])}`,
    );
  if (!rowsMatch(figures, opts.connections))
    log(`  ${label}: ROWS ${figures.rowsWritten} do not match 2xx responses ${figures.okTotal}`);
  return figures;
}

/**
 * One line of --pg-waits figures: each state as PostgreSQL session time per request (ms), and
 * for a batching server per batch too; the WAL per request and its flushes.
 */
function pgWaitsLine(
  w: PgWaitFigures,
  requests: number,
  durationS: number,
  batches: BatchFigures | null | undefined,
): string {
  const ms = (share: number) => ((share * durationS * 1000) / Math.max(1, requests)).toFixed(2);
  const perBatch = (share: number) =>
    batches && batches.batches > 0
      ? ` (${((share * durationS * 1000) / batches.batches).toFixed(2)} per batch)`
      : "";
  const s = w.shares;
  const flush = s.walSync + s.walQueued;
  return (
    `PostgreSQL session ms per request: running ${ms(s.running)}${perBatch(s.running)}, ` +
    `WAL flush ${ms(flush)}${perBatch(flush)} (in fdatasync ${ms(s.walSync)}, queued ${ms(s.walQueued)}), ` +
    `locks ${ms(s.locks)}, other waits ${ms(s.otherWaits)}; ` +
    `WAL per request ${(w.wal.records / Math.max(1, requests)).toFixed(1)} records, ` +
    `${int(w.wal.bytes / Math.max(1, requests))} B; ${int(w.wal.syncs / durationS)} flushes/s ` +
    `of ${(w.wal.bytes / Math.max(1, w.wal.syncs) / 1024).toFixed(1)} kB` +
    (w.wal.syncMs == null ? "" : `, ${w.wal.syncMs.toFixed(2)} ms each`) +
    ` (${s.samples} samples)`
  );
}

/**
 * Every 2xx has its row, and the only extra rows are requests autocannon abandoned when a run
 * (warm-up or measured) ended: at most one per connection per run.
 */
export function rowsMatch(f: LoadFigures, connections: number): boolean {
  return f.rowsWritten >= f.okTotal && f.rowsWritten - f.okTotal <= 2 * connections;
}

async function runOne(
  db: DbChoice,
  opts: BenchOptions,
  baselineFirst: boolean,
): Promise<ApiBenchResult> {
  const scale = db === "pg" ? opts.scale : opts.pgliteScale;
  const sizes = apiSizesFor(scale);
  const nonce = randomBytes(16).toString("hex");
  const tokens = Array.from({ length: sizes.payers }, (_, i) =>
    benchToken(nonce, payerId(sizes, i)),
  );
  const scratch: Scratch[] = [];
  const children: Child[] = [];
  try {
    log(
      `${db === "pg" ? "PostgreSQL" : "PGlite"} API: ${int(sizes.payers)} payers with tokens, ${int(sizes.things)} things by ${int(sizes.creators)} creators`,
    );
    let oursSpec: Omit<ServerSpec, "port" | "pool">;
    let baseSpec: Omit<ServerSpec, "port" | "pool">;
    if (db === "pg") {
      const ours = await createScratch(opts.url, "api");
      scratch.push(ours);
      const d = openScratch(ours);
      try {
        await migrate(d);
        await seedApi(d.db, sizes, nonce, { tokensInUse: opts.tokensInUse });
      } finally {
        await d.close();
      }
      const base = await createScratch(opts.url, "apibase");
      scratch.push(base);
      oursSpec = { kind: "ours", db, url: ours.url };
      baseSpec = { kind: "baseline", db, url: base.url };
    } else {
      oursSpec = { kind: "ours", db, sizes, nonce, tokensInUse: opts.tokensInUse };
      baseSpec = { kind: "baseline", db };
    }

    const measure = async (spec: Omit<ServerSpec, "port" | "pool">, label: string) => {
      const child = await startChild(spec, opts.serverCpuProf, opts.pgWaits);
      children.push(child);
      const figures = await drive(child, sizes, tokens, opts, `${db} ${label}`, db);
      await child.stop();
      return figures;
    };
    if (db === "pg") await checkpoint(opts.url);
    // How quiet the machine is before the pair: a ratio from a busy machine says little.
    const idleBefore = opts.idleProbe > 0 ? await machineIdleShare(opts.idleProbe * 1000) : null;
    if (idleBefore != null) log(`  machine ${Math.round(idleBefore * 100)} % idle before the pair`);
    // Repeats alternate which server goes first, so neither always gets the fresher machine.
    let ours: LoadFigures;
    let baseline: LoadFigures;
    if (baselineFirst) {
      baseline = await measure(baseSpec, "baseline");
      ours = await measure(oursSpec, "ours");
    } else {
      ours = await measure(oursSpec, "ours");
      baseline = await measure(baseSpec, "baseline");
    }

    const profile = opts.profile && db === "pg" ? await profileApi(opts) : undefined;
    return {
      profile,
      db,
      scale,
      sizes,
      connections: opts.connections,
      durationS: opts.duration,
      warmupS: opts.warmup,
      pool: POOL,
      ours,
      baseline,
      idleBefore,
      ratio: ours.okPerSec / baseline.okPerSec,
    };
  } finally {
    for (const c of children) await c.stop().catch(() => {});
    if (opts.keep) log(`  kept: ${scratch.map((s) => s.name).join(", ")}`);
    else for (const s of scratch) await dropScratch(opts.url, s.name);
  }
}

export async function runApiBench(opts: BenchOptions): Promise<ApiBenchResult[]> {
  const results: ApiBenchResult[] = [];
  for (const db of opts.dbs)
    for (const connections of opts.connectionsList)
      for (let rep = 0; rep < opts.repeat; rep++)
        results.push(await runOne(db, { ...opts, connections }, rep % 2 === 1));
  return results;
}
