import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import type { BenchOptions, DbChoice } from "../lib/args.ts";
import { machineBusyMs, postgresCpuBetween, postgresCpuMs } from "../lib/cpu.ts";
import { int, log } from "../lib/format.ts";
import { createScratch, dropScratch } from "../lib/scratch.ts";
import { type BenchActivity, type SignedDelivery, startBenchRemote } from "./remote.ts";
import type { InboxServerSpec } from "./server.ts";

/*
 * Inbound activities processed per second: N signed deliveries (signed beforehand) POSTed to
 * the shared inbox by autocannon, against the real instance (guard, Fedify, queue, worker) and
 * against a bare Fedify inbox whose listener only counts, in the same run. `undo`: each an
 * Undo(Follow) of a follow the instance has stored, which it removes (nothing is sent back: the
 * closest to an inbound flattr until the Like handler exists); `follow`: each a new Follow, stored
 * and answered with an Accept (signed and delivered by the same worker). The clock runs from
 * the first request until the last activity is processed (for ours: until its row exists), so a
 * server that answers fast and processes later gains nothing.
 */

const SERVER = fileURLToPath(new URL("./server.ts", import.meta.url));
const USERS = 50;

export interface InboxFigures {
  delivered: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** Activities processed (stored, for ours) per second, first request to last processed. */
  processedPerSec: number;
  /** 2xx answers per second while the load ran. */
  answeredPerSec: number;
  latencyMs: { p50: number; p99: number };
  seconds: number;
  processed: number;
  serverCpuMsPerActivity: number;
  dbCpuMsPerActivity: number | null;
  machineCpuMsPerActivity: number | null;
  machineBusy: number | null;
  /** PostgreSQL statements the server sent per activity processed, and by kind (ours only). */
  statementsPerActivity: number | null;
  statements: Record<string, number>;
}

export interface InboxBenchRun {
  ours: InboxFigures;
  baseline: InboxFigures;
  ratio: number;
}

export interface InboxBenchResult {
  db: DbChoice;
  activity: BenchActivity;
  deliveries: number;
  connections: number;
  runs: InboxBenchRun[];
  /** Median of the runs' ours/baseline processed-per-second ratios; goal ≥ 0.5. */
  ratio: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

interface Child {
  port: number;
  count(): Promise<number>;
  cpuMs(): Promise<number>;
  statements(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

interface Reply {
  type: string;
  n?: number;
  ms?: number;
  statements?: Record<string, number>;
}

async function startChild(
  spec: Omit<InboxServerSpec, "port">,
  cpuProfDir: string | undefined,
): Promise<Child> {
  const port = await freePort();
  const prof = cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [];
  const proc: ChildProcess = spawn(
    process.execPath,
    [...prof, "--import", "tsx", SERVER, JSON.stringify({ ...spec, port })],
    { stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const waitFor = (type: string) =>
    new Promise<Reply>((resolve, reject) => {
      const onMessage = (m: Reply) => {
        if (m.type !== type) return;
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        resolve(m);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`${spec.kind} inbox server exited (${code}) before "${type}"`));
      proc.on("message", onMessage);
      proc.once("exit", onExit);
    });
  await waitFor("ready");
  const ask = async (type: string) => {
    const reply = waitFor(type);
    proc.send({ type });
    return reply;
  };
  return {
    port,
    count: async () => (await ask("count")).n ?? 0,
    cpuMs: async () => (await ask("cpu")).ms ?? 0,
    statements: async () => (await ask("statements")).statements ?? {},
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

/** Polls until `target` activities are processed, or nothing moved for 15 s; returns when. */
async function processedBy(child: Child, target: number): Promise<{ n: number; at: number }> {
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const n = await child.count();
    const now = performance.now();
    if (n !== last) {
      last = n;
      lastChange = now;
    }
    if (n >= target || now - lastChange > 15_000) return { n, at: lastChange };
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function measure(
  spec: Omit<InboxServerSpec, "port">,
  deliveries: SignedDelivery[],
  opts: BenchOptions,
  label: string,
): Promise<InboxFigures> {
  const child = await startChild(spec, opts.serverCpuProf);
  try {
    let k = 0;
    log(`  ${label}: ${int(deliveries.length)} deliveries, ${opts.connections} connections…`);
    const statementsBefore = await child.statements();
    const cpuBefore = await child.cpuMs();
    const dbBefore = postgresCpuMs();
    const machineBefore = machineBusyMs();
    const start = performance.now();
    const r = await autocannon({
      url: `http://127.0.0.1:${child.port}`,
      connections: opts.connections,
      amount: deliveries.length,
      timeout: 30,
      requests: [
        {
          method: "POST",
          path: "/inbox",
          setupRequest: (req) => {
            const d = deliveries[k++ % deliveries.length]!;
            return { ...req, method: "POST", path: "/inbox", headers: d.headers, body: d.body };
          },
        },
      ],
    });
    const answeredMs = performance.now() - start;
    const done = await processedBy(child, r["2xx"]);
    const seconds = (done.at - start) / 1000;
    const machineAfter = machineBusyMs();
    const dbMs = postgresCpuBetween(dbBefore, postgresCpuMs());
    const cpuMs = (await child.cpuMs()) - cpuBefore;
    const statements: Record<string, number> = {};
    let sent = 0;
    for (const [kind, n] of Object.entries(await child.statements())) {
      const d = n - (statementsBefore[kind] ?? 0);
      if (d === 0 || kind === "(bench count poll)") continue;
      statements[kind] = d / Math.max(1, done.n);
      sent += d;
    }
    const per = (ms: number | null) => (ms == null ? null : ms / Math.max(1, done.n));
    const machineMs =
      machineBefore == null || machineAfter == null ? null : machineAfter - machineBefore;
    const statusCodes: Record<string, number> = {};
    for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = v.count;
    const figures: InboxFigures = {
      delivered: r.requests.total,
      ok: r["2xx"],
      non2xx: r.non2xx,
      errors: r.errors,
      statusCodes,
      processedPerSec: done.n / seconds,
      answeredPerSec: r["2xx"] / (answeredMs / 1000),
      latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
      seconds,
      processed: done.n,
      serverCpuMsPerActivity: cpuMs / Math.max(1, done.n),
      dbCpuMsPerActivity: spec.db === "pg" ? per(dbMs) : null,
      machineCpuMsPerActivity: per(machineMs),
      machineBusy: machineMs == null ? null : machineMs / (seconds * 1000 * availableParallelism()),
      statementsPerActivity:
        spec.kind === "ours" && spec.db === "pg" ? sent / Math.max(1, done.n) : null,
      statements,
    };
    log(
      `  ${label}: ${int(figures.processed)} processed in ${seconds.toFixed(2)} s = ${int(figures.processedPerSec)}/s (answered ${int(figures.answeredPerSec)}/s, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms), non-2xx ${figures.non2xx} ${JSON.stringify(statusCodes)}, errors ${figures.errors}; CPU ms/activity: server ${figures.serverCpuMsPerActivity.toFixed(2)}, database ${figures.dbCpuMsPerActivity?.toFixed(2) ?? "—"}, machine ${figures.machineCpuMsPerActivity?.toFixed(2) ?? "—"}`,
    );
    if (figures.statementsPerActivity !== null) {
      log(
        `  ${label}: ${figures.statementsPerActivity.toFixed(2)} statements per activity processed`,
      );
      for (const [kind, per] of Object.entries(statements).sort((a, b) => b[1] - a[1]))
        if (per >= 0.01) log(`    ${per.toFixed(2)} × ${kind}`);
    }
    return figures;
  } finally {
    await child.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function runInboxBench(opts: BenchOptions): Promise<InboxBenchResult[]> {
  const results: InboxBenchResult[] = [];
  const n = opts.inboxDeliveries;
  const remote = await startBenchRemote(Math.ceil(n / USERS), await freePort());
  try {
    for (const activity of opts.inboxActivities) {
      log(
        `inbox: signing ${int(n)} ${activity} deliveries (${Math.ceil(n / USERS)} remote actors)…`,
      );
      const deliveries = await remote.sign(n, USERS, activity);
      const common = { users: USERS, activity, remoteOrigin: remote.origin, deliveries: n };
      for (const db of opts.dbs) {
        const runs: InboxBenchRun[] = [];
        for (let i = 0; i < opts.repeat; i++) {
          const scratches: string[] = [];
          const oursSpec = async (): Promise<Omit<InboxServerSpec, "port">> => {
            if (db === "pglite") return { kind: "ours", db, ...common };
            const scratch = await createScratch(opts.url, "inbox");
            scratches.push(scratch.name);
            return { kind: "ours", db, url: scratch.url, ...common };
          };
          const base = () =>
            measure(
              { kind: "baseline", db, ...common },
              deliveries,
              opts,
              `${db} ${activity} bare Fedify`,
            );
          const ours = async () =>
            measure(await oursSpec(), deliveries, opts, `${db} ${activity} fediflattr`);
          let o: InboxFigures;
          let b: InboxFigures;
          // Repeats alternate which server goes first.
          if (i % 2 === 1) {
            b = await base();
            o = await ours();
          } else {
            o = await ours();
            b = await base();
          }
          for (const name of scratches) await dropScratch(opts.url, name);
          runs.push({ ours: o, baseline: b, ratio: o.processedPerSec / b.processedPerSec });
          log(
            `  ${db} ${activity} run ${i + 1}: ratio ${(o.processedPerSec / b.processedPerSec).toFixed(2)}×`,
          );
        }
        results.push({
          db,
          activity,
          deliveries: n,
          connections: opts.connections,
          runs,
          ratio: median(runs.map((r) => r.ratio)),
        });
      }
    }
  } finally {
    await remote.stop();
  }
  return results;
}

/** Every delivery was answered 2xx and processed. */
export function inboxComplete(r: InboxBenchResult): boolean {
  return r.runs.every((x) =>
    [x.ours, x.baseline].every((f) => f.ok === r.deliveries && f.processed === r.deliveries),
  );
}
