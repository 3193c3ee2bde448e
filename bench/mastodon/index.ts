import { randomBytes } from "node:crypto";
import { migrate } from "../../src/db/migrate.ts";
import {
  type ApiBenchResult,
  type Child,
  drive,
  type LoadFigures,
  POOL,
  rowsMatch,
  startChild,
} from "../api/index.ts";
import { apiSizesFor, benchToken, payerId, seedApi, statusIdFor } from "../api/seed.ts";
import type { ServerSpec } from "../api/server.ts";
import type { BenchOptions, DbChoice } from "../lib/args.ts";
import { machineIdleShare } from "../lib/cpu.ts";
import { int, log } from "../lib/format.ts";
import {
  checkpoint,
  createScratch,
  dropScratch,
  openScratch,
  type Scratch,
} from "../lib/scratch.ts";

/*
 * Favourite = flattr under load: `POST /api/v1/statuses/{id}/favourite` (the Mastodon API,
 * answering the whole Status) against `POST /api/flattr/v1/things/{id}/flattr` (the REST API)
 * of the same things by the same payers with the same OAuth tokens, each on the real instance
 * with its own freshly seeded database, in the same run. The API benchmark's data and load
 * (bench/api): every request a distinct valid flattr. Goal: the favourite at least 0.8× the
 * REST flattr's throughput.
 */

export type MastodonBenchResult = ApiBenchResult;

async function runOne(
  db: DbChoice,
  opts: BenchOptions,
  restFirst: boolean,
): Promise<MastodonBenchResult> {
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
      `${db === "pg" ? "PostgreSQL" : "PGlite"} Mastodon favourite vs REST flattr: ${int(sizes.payers)} payers with OAuth tokens, ${int(sizes.things)} posts`,
    );
    const specFor = async (name: string): Promise<Omit<ServerSpec, "port" | "pool">> => {
      if (db === "pglite") return { kind: "ours", db, sizes, nonce, mastodon: true };
      const s = await createScratch(opts.url, name);
      scratch.push(s);
      const d = openScratch(s);
      try {
        await migrate(d);
        await seedApi(d.db, sizes, nonce, { mastodon: true });
      } finally {
        await d.close();
      }
      return { kind: "ours", db, url: s.url };
    };
    const favSpec = await specFor("mfav");
    const restSpec = await specFor("mrest");
    const measure = async (
      spec: Omit<ServerSpec, "port" | "pool">,
      label: string,
      pathFor: (thing: number) => string,
    ): Promise<LoadFigures> => {
      const child = await startChild(spec, opts.serverCpuProf, opts.pgWaits);
      children.push(child);
      const figures = await drive(child, sizes, tokens, opts, `${db} ${label}`, db, pathFor);
      await child.stop();
      return figures;
    };
    const favourite = () =>
      measure(favSpec, "favourite", (t) => `/api/v1/statuses/${statusIdFor(t)}/favourite`);
    const rest = () => measure(restSpec, "REST flattr", (t) => `/api/flattr/v1/things/${t}/flattr`);
    if (db === "pg") await checkpoint(opts.url);
    // How quiet the machine is before the pair: a ratio from a busy machine says little.
    const idleBefore = opts.idleProbe > 0 ? await machineIdleShare(opts.idleProbe * 1000) : null;
    if (idleBefore != null) log(`  machine ${Math.round(idleBefore * 100)} % idle before the pair`);
    let ours: LoadFigures;
    let baseline: LoadFigures;
    if (restFirst) {
      baseline = await rest();
      ours = await favourite();
    } else {
      ours = await favourite();
      baseline = await rest();
    }
    return {
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

export async function runMastodonBench(opts: BenchOptions): Promise<MastodonBenchResult[]> {
  const results: MastodonBenchResult[] = [];
  // PGlite runs every statement of a favourite in the server's own thread (about 200 ms of CPU
  // each under this load): reference only, so it runs only when asked for alone (--db pglite).
  const dbs: DbChoice[] = opts.dbs.includes("pg") ? ["pg"] : opts.dbs;
  if (dbs.length < opts.dbs.length)
    log("Mastodon favourite: PostgreSQL only (--db pglite for PGlite)");
  for (const db of dbs)
    for (let rep = 0; rep < opts.repeat; rep++) results.push(await runOne(db, opts, rep % 2 === 1));
  return results;
}

export const mastodonComplete = (r: MastodonBenchResult) =>
  [r.ours, r.baseline].every((f) => rowsMatch(f, r.connections));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function mastodonTable(results: MastodonBenchResult[]): string {
  const lines = [
    "Mastodon favourite vs REST flattr (same instance code, same data, same tokens)",
    "| database | request | 2xx/s | p50 | p99 | non-2xx | server CPU ms/req | rows = 2xx |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    for (const [name, f] of [
      ["POST /api/v1/statuses/:id/favourite", r.ours],
      ["POST /api/flattr/v1/things/:id/flattr", r.baseline],
    ] as const)
      lines.push(
        `| ${r.db} ×${r.scale} | ${name} | ${int(f.okPerSec)} | ${f.latencyMs.p50} ms | ${f.latencyMs.p99} ms | ${int(f.non2xx)} | ${f.serverCpuMsPerRequest.toFixed(2)} | ${rowsMatch(f, r.connections) ? "yes" : "NO"} |`,
      );
    lines.push(
      `| | ratio favourite / REST | ${r.ratio.toFixed(2)}× | | | | | ${r.ratio >= 0.8 ? "≥ 0.8× ✓" : "< 0.8× ✗"} |`,
    );
  }
  for (const db of ["pg", "pglite"] as const) {
    const rs = results.filter((r) => r.db === db);
    if (rs.length > 1)
      lines.push(
        `median ratio ${db}: ${median(rs.map((r) => r.ratio)).toFixed(2)}× over ${rs.length} pairs`,
      );
  }
  return lines.join("\n");
}
