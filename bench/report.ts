import { type ApiBenchResult, rowsMatch } from "./api/index.ts";
import type { CloseBenchResult } from "./close/index.ts";
import type { InboxBenchResult } from "./inbox/index.ts";
import { int, ratio, secs, table } from "./lib/format.ts";
import type { SummaryBenchResult } from "./summary/index.ts";

const dbName = (d: string) => (d === "pg" ? "PostgreSQL" : "PGlite");

export function closeTable(results: CloseBenchResult[]): string {
  const rows = results.map((r) => [
    `${dbName(r.db)} ×${r.scale}`,
    int(r.sizes.payers),
    int(r.sizes.flattrs),
    secs(r.seedMs + r.vacuumMs),
    secs(r.closeMs),
    secs(r.baselineMs),
    r.runs.length > 1
      ? `${ratio(r.ratio)} (${ratio(Math.min(...r.runs.map((x) => x.ratio)))}–${ratio(Math.max(...r.runs.map((x) => x.ratio)))}, ${r.runs.length} runs)`
      : ratio(r.ratio),
    r.ratio <= 2 ? "yes" : "NO",
    `${int(r.verify.entries)} / ${int(r.verify.postings)}`,
    r.verify.ok ? "equal" : "MISMATCH",
  ]);
  return [
    `Month close: closePeriod() vs one raw INSERT … SELECT of the same ledger rows (goal ≤ 2×; medians)`,
    table(
      [
        "database",
        "payers",
        "flattrs",
        "seed",
        "close",
        "baseline",
        "close/base",
        "≤2×",
        "entries / postings",
        "totals",
      ],
      rows,
    ),
  ].join("\n");
}

export function apiTable(results: ApiBenchResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (const [name, f] of [
      ["fediflattr", r.ours],
      ["bare Hono+insert", r.baseline],
    ] as const) {
      rows.push([
        `${dbName(r.db)} ×${r.scale}`,
        name,
        int(f.okPerSec),
        `${f.latencyMs.p50} ms`,
        `${f.latencyMs.p99} ms`,
        int(f.non2xx),
        int(f.errors),
        f.serverCpuMsPerRequest.toFixed(2),
        f.dbCpuMsPerRequest?.toFixed(2) ?? "—",
        f.machineCpuMsPerRequest?.toFixed(2) ?? "—",
        f.machineBusy == null ? "—" : `${Math.round(f.machineBusy * 100)} %`,
        rowsMatch(f, r.connections) ? "yes" : "NO",
      ]);
    }
    rows.push([
      `${r.connections} conn${r.idleBefore == null ? "" : `, ${Math.round(r.idleBefore * 100)} % idle before`}`,
      "ratio / goals",
      ratio(r.ratio),
      "",
      r.ours.latencyMs.p99 < 50 ? "< 50 ✓" : "≥ 50 ✗",
      r.ours.non2xx === 0 ? "" : "NON-2XX!",
      "",
      "",
      "",
      "",
      "",
      r.ratio >= 0.5 ? "≥ 0.5× ✓" : "< 0.5× ✗",
    ]);
  }
  const first = results[0];
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const groups = new Map<string, ApiBenchResult[]>();
  for (const r of results) {
    const key = `${r.db} ${r.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const medians = [...groups.values()]
    .filter((rs) => rs.length > 1)
    .map((rs) => {
      const idle = rs.map((r) => r.idleBefore).filter((x): x is number => x != null);
      const p99 = median(rs.map((r) => r.ours.latencyMs.p99));
      return (
        `${dbName(rs[0]!.db)}, ${rs[0]!.connections} connections: median ratio ${ratio(median(rs.map((r) => r.ratio)))} over ${rs.length} pairs (${rs
          .map((r) => r.ratio)
          .sort((a, b) => a - b)
          .map((x) => ratio(x))
          .join(", ")}), median p99 ${p99} ms` +
        (idle.length
          ? `, machine idle before the pairs ${Math.round(Math.min(...idle) * 100)}–${Math.round(Math.max(...idle) * 100)} %`
          : "")
      );
    });
  return [
    `Flattr API: POST /api/flattr/v1/things/{id}/flattr (bearer token, each a new flattr) vs a bare Hono + insert endpoint` +
      (first
        ? ` — ${[...new Set(results.map((r) => r.connections))].join(", ")} connections, ${first.durationS} s after ${first.warmupS} s warm-up, pool ${first.pool}`
        : ""),
    table(
      [
        "database",
        "server",
        "2xx/s",
        "p50",
        "p99",
        "non-2xx",
        "errors",
        "server CPU",
        "db CPU",
        "all CPU",
        "busy",
        "rows = 2xx",
      ],
      rows,
    ),
    "CPU columns: ms per request of the server process, of PostgreSQL's processes, and of the whole machine (all cores, load generator included); busy: share of all cores in use during the run.",
    ...medians,
  ].join("\n");
}

export function inboxTable(results: InboxBenchResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    r.runs.forEach((run, i) => {
      for (const [name, f] of [
        ["fediflattr (stored)", run.ours],
        ["bare Fedify (counted)", run.baseline],
      ] as const) {
        rows.push([
          `${dbName(r.db)} ${r.activity}${r.runs.length > 1 ? ` run ${i + 1}` : ""}`,
          name,
          `${int(f.processed)}/${int(r.deliveries)}`,
          int(f.processedPerSec),
          int(f.answeredPerSec),
          `${f.latencyMs.p50} ms`,
          `${f.latencyMs.p99} ms`,
          f.serverCpuMsPerActivity.toFixed(2),
          f.dbCpuMsPerActivity?.toFixed(2) ?? "—",
          f.machineCpuMsPerActivity?.toFixed(2) ?? "—",
          name.startsWith("fediflattr") ? ratio(run.ratio) : "",
        ]);
      }
    });
    if (r.runs.length > 1)
      rows.push([
        `${dbName(r.db)} ${r.activity}`,
        "median",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        ratio(r.ratio),
      ]);
  }
  return [
    "Inbound signed activities processed per second: the instance (stored) vs a bare Fedify inbox whose listener counts (goal ≥ 0.5×)",
    table(
      [
        "database",
        "server",
        "processed",
        "processed/s",
        "answered/s",
        "p50",
        "p99",
        "CPU ms/act server",
        "db",
        "machine",
        "ratio",
      ],
      rows,
    ),
  ].join("\n");
}

export function summaryTable(results: SummaryBenchResult[]): string {
  const rows: string[][] = [];
  const idle = (x: number | null) => (x == null ? "—" : `${Math.round(x * 100)} %`);
  for (const r of results) {
    for (const run of r.runs)
      rows.push([
        `${dbName(r.db)} ${run.period}`,
        `${int(r.sizes.creators)}`,
        secs(run.buildMs),
        secs(run.sendMs),
        secs(run.receiveMs),
        secs(run.oursMs),
        secs(run.baselineMs),
        ratio(run.ratio),
        idle(run.idleShare),
        run.accepted && run.creditedLines === r.sizes.creators ? "yes" : "NO",
      ]);
    if (r.runs.length > 1)
      rows.push([
        `${dbName(r.db)} median`,
        "",
        "",
        "",
        "",
        secs(r.oursMs),
        secs(r.baselineMs),
        ratio(r.ratio),
        "",
        "",
      ]);
  }
  return [
    "A settlement summary built, signed, sent, fetched, verified and applied (close finished → Accept recorded) vs a raw INSERT … SELECT of the same ledger rows (goal ≤ 3×)",
    table(
      [
        "database",
        "lines",
        "build",
        "send",
        "fetch+check+apply+answer",
        "ours",
        "raw insert",
        "ratio",
        "idle",
        "accepted",
      ],
      rows,
    ),
  ].join("\n");
}
