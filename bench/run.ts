import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname } from "node:path";
import postgres from "postgres";
import { type ApiBenchResult, rowsMatch, runApiBench } from "./api/index.ts";
import { type CloseBenchResult, runCloseBench } from "./close/index.ts";
import { type InboxBenchResult, inboxComplete, runInboxBench } from "./inbox/index.ts";
import { parseBenchArgs, USAGE } from "./lib/args.ts";
import { log } from "./lib/format.ts";
import { dropAllScratch } from "./lib/scratch.ts";
import {
  type MastodonBenchResult,
  mastodonComplete,
  mastodonTable,
  runMastodonBench,
} from "./mastodon/index.ts";
import { apiTable, closeTable, inboxTable, summaryTable } from "./report.ts";
import { runSummaryBench, type SummaryBenchResult, summaryComplete } from "./summary/index.ts";

/*
 * `npm run bench` — the benchmarks behind README's Performance goals, each against a baseline measured in the
 * same run and reported as a ratio. Progress goes to stderr, the report to stdout, the figures to
 * bench/results/latest.json. Nothing here is asserted: these are measurements, not tests.
 */

async function serverVersion(url: string): Promise<string | null> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`select current_setting('server_version') as v`;
    return String(r?.v);
  } catch {
    return null;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The code under test: the commit, and uncommitted changes to it (others work in this tree). */
function gitState(): { head: string; dirty: string[] } | null {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();
    const dirty = git("status", "--porcelain", "--", "src", "drizzle").split("\n").filter(Boolean);
    return { head: git("rev-parse", "--short", "HEAD"), dirty };
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  let opts: ReturnType<typeof parseBenchArgs>;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts === "help") {
    console.log(USAGE);
    return 0;
  }
  const started = new Date();
  const machine = {
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    postgres: opts.dbs.includes("pg") ? await serverVersion(opts.url) : null,
  };
  log(`fediflattr bench: ${JSON.stringify(machine)}`);

  const onSignal = async () => {
    log("interrupted: dropping scratch databases…");
    if (!opts.keep) await dropAllScratch(opts.url).catch(() => {});
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  let close: CloseBenchResult[] = [];
  let api: ApiBenchResult[] = [];
  let inbox: InboxBenchResult[] = [];
  let mastodon: MastodonBenchResult[] = [];
  let summary: SummaryBenchResult[] = [];
  try {
    if (opts.only.includes("close")) close = await runCloseBench(opts);
    if (opts.only.includes("api")) api = await runApiBench(opts);
    if (opts.only.includes("inbox")) inbox = await runInboxBench(opts);
    if (opts.only.includes("mastodon")) mastodon = await runMastodonBench(opts);
    if (opts.only.includes("summary")) summary = await runSummaryBench(opts);
  } finally {
    if (!opts.keep) await dropAllScratch(opts.url).catch(() => {});
  }

  const results = {
    startedAt: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    options: { ...opts },
    git: gitState(),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
    close,
    api,
    inbox,
    mastodon,
    summary,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);

  console.log("");
  if (close.length) console.log(`${closeTable(close)}\n`);
  if (api.length) console.log(`${apiTable(api)}\n`);
  if (inbox.length) console.log(`${inboxTable(inbox)}\n`);
  if (mastodon.length) console.log(`${mastodonTable(mastodon)}\n`);
  if (summary.length) console.log(`${summaryTable(summary)}\n`);
  console.log(`\nResults written to ${opts.out} (${results.seconds} s in all).`);
  const wrong =
    close.some((c) => !c.verify.ok) ||
    api.some((a) => [a.ours, a.baseline].some((f) => !rowsMatch(f, a.connections))) ||
    inbox.some((i) => !inboxComplete(i)) ||
    mastodon.some((m) => !mastodonComplete(m)) ||
    summary.some((s) => !summaryComplete(s));
  return wrong ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
