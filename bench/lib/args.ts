import { parseArgs } from "node:util";

export type Part = "close" | "api" | "inbox" | "mastodon" | "summary";
export type DbChoice = "pg" | "pglite";

export interface BenchOptions {
  only: Part[];
  dbs: DbChoice[];
  /** Multiplies the goal's sizes on PostgreSQL (1 = 100,000 payers, 1,000,000 flattrs). */
  scale: number;
  /** The same on PGlite (in-process WASM, one session): smaller by default, stated in the output. */
  pgliteScale: number;
  /** Server URL whose database is only used to create and drop scratch databases. */
  url: string;
  /** Payers per close batch; default the instance default (config.closeBatchSize). */
  batchSize: number | undefined;
  /** EXPLAIN ANALYZE of one close batch and a batch-size sweep (PostgreSQL, extra minutes). */
  profile: boolean;
  /** Close: pairs of fresh copies to measure (close + baseline each); medians are reported. */
  repeat: number;
  /** Also run `ledger check` (checkLedger) on the closed database. */
  check: boolean;
  /** Seconds of load per API run (after a warm-up). */
  duration: number;
  warmup: number;
  /** Inbox: concurrent connections; API: the first of `connectionsList`. */
  connections: number;
  /** API: each connection count is measured in its own pairs (e.g. 16,64,256). */
  connectionsList: number[];
  /** API: seconds of idle-share reading before each pair (0 = none). */
  idleProbe: number;
  /** API: tokens used within the last minute (no stamp write per request), as apps that keep flattring. */
  tokensInUse: boolean;
  /** API, Mastodon (PostgreSQL): sample what the server's sessions wait on, and the WAL. */
  pgWaits: boolean;
  /** Keep scratch databases (their names are printed) instead of dropping them. */
  keep: boolean;
  out: string;
  /** API: write a V8 CPU profile of each server process into this directory. */
  serverCpuProf: string | undefined;
  /** Inbox: signed deliveries sent to each inbox under test. */
  inboxDeliveries: number;
  /** Inbox: which activities (each measured separately). */
  inboxActivities: ("like" | "undo" | "follow")[];
}

const USAGE = `npm run bench -- [options]

  --only close|api|inbox|mastodon|summary  run some parts, comma-separated (default: all five)
  --db pg|pglite|both   database(s) (default: both; PGlite at --pglite-scale)
  --scale N             PostgreSQL size factor, 1 = 100,000 payers / 1,000,000 flattrs (default 1)
  --pglite-scale N      PGlite size factor (default 0.1)
  --batch-size N        payers per close batch (default: CLOSE_BATCH_SIZE or 5000)
  --profile             close: EXPLAIN ANALYZE of one batch + batch-size sweep (PostgreSQL)
  --repeat N            close, API, summary: N pairs of runs, alternating which runs first;
                        medians reported (default 1)
  --check               close: also run the full ledger check on the closed database
  --duration S          API: seconds of load per run (default 10)
  --warmup S            API: seconds of warm-up per run, not counted (default 2)
  --connections N[,N…]  API: concurrent connections, each count in its own pairs (default 16);
                        inbox: the first one
  --idle-probe S        API: seconds the machine's idle share is read before each pair (default 3)
  --tokens-in-use       API: every token used within the last minute (default: each request is its
                        token's first use, which also writes the token's last_used_at)
  --pg-waits            API, mastodon (PostgreSQL): what the servers' database sessions wait on
                        (sampled in pg_stat_activity every 4 ms), the WAL per request and its
                        flushes' time (track_wal_io_timing on the databases under test; superuser)
  --url URL             PostgreSQL server for scratch databases
                        (default BENCH_DATABASE_URL, TEST_DATABASE_URL or postgres://root@127.0.0.1:5432/test)
  --server-cpu-prof DIR API, inbox: V8 CPU profile of each server process (Chrome DevTools)
  --inbox-deliveries N  inbox: signed deliveries per server under test (default 3000)
  --inbox-activity A    inbox: like (a Like with the payment extension from a peer's user,
                        stored as an incoming flattr), undo (Undo(Follow): a stored row
                        removed), follow (a row stored and an Accept sent), all, or a
                        comma-separated list (default like)
  --keep                keep the scratch databases
  --out FILE            JSON results (default bench/results/latest.json)`;

export function parseBenchArgs(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      only: { type: "string" },
      db: { type: "string" },
      scale: { type: "string" },
      "pglite-scale": { type: "string" },
      "batch-size": { type: "string" },
      profile: { type: "boolean" },
      check: { type: "boolean" },
      repeat: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      "idle-probe": { type: "string" },
      "tokens-in-use": { type: "boolean" },
      "pg-waits": { type: "boolean" },
      url: { type: "string" },
      keep: { type: "boolean" },
      out: { type: "string" },
      "server-cpu-prof": { type: "string" },
      "inbox-deliveries": { type: "string" },
      "inbox-activity": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const num = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const only = (values.only ?? "close,api,inbox,mastodon,summary").split(",").map((s) => s.trim());
  for (const p of only)
    if (p !== "close" && p !== "api" && p !== "inbox" && p !== "mastodon" && p !== "summary")
      throw new Error(`--only must be close, api, inbox, mastodon or summary, got "${p}"`);
  const db = values.db ?? "both";
  if (!["pg", "pglite", "both"].includes(db))
    throw new Error(`--db must be pg, pglite or both, got "${db}"`);
  const activityArg = values["inbox-activity"] ?? "like";
  const activities = (activityArg === "all" ? "like,undo,follow" : activityArg)
    .split(",")
    .map((s) => s.trim());
  for (const a of activities)
    if (a !== "like" && a !== "undo" && a !== "follow")
      throw new Error(`--inbox-activity must be like, undo, follow or all, got "${a}"`);
  const batch = values["batch-size"];
  const connectionsList = (values.connections ?? "16")
    .split(",")
    .map((c) => Math.round(num("connections", c.trim(), 16, 1)));
  return {
    only: only as Part[],
    dbs: db === "both" ? ["pg", "pglite"] : [db as DbChoice],
    scale: num("scale", values.scale, 1, 0.0001),
    pgliteScale: num("pglite-scale", values["pglite-scale"], 0.1, 0.0001),
    url:
      values.url ??
      process.env.BENCH_DATABASE_URL ??
      process.env.TEST_DATABASE_URL ??
      "postgres://root@127.0.0.1:5432/test",
    batchSize: batch === undefined ? undefined : Math.round(num("batch-size", batch, 0, 1)),
    profile: values.profile ?? false,
    check: values.check ?? false,
    repeat: Math.round(num("repeat", values.repeat, 1, 1)),
    duration: num("duration", values.duration, 10, 1),
    warmup: num("warmup", values.warmup, 2, 0),
    connections: connectionsList[0]!,
    connectionsList,
    idleProbe: num("idle-probe", values["idle-probe"], 3, 0),
    tokensInUse: values["tokens-in-use"] ?? false,
    pgWaits: values["pg-waits"] ?? false,
    keep: values.keep ?? false,
    out: values.out ?? "bench/results/latest.json",
    serverCpuProf: values["server-cpu-prof"],
    inboxDeliveries: Math.round(num("inbox-deliveries", values["inbox-deliveries"], 3000, 1)),
    inboxActivities: activities as ("like" | "undo" | "follow")[],
  };
}

export { USAGE };
