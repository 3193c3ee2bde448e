import { PGlite } from "@electric-sql/pglite";
import { serve } from "@hono/node-server";
import { sql as dsql } from "drizzle-orm";
import { Hono } from "hono";
import postgres from "postgres";
import { loadConfig } from "../../src/config/config.ts";
import { configureLogging } from "../../src/config/logging.ts";
import { observeBatches } from "../../src/db/batcher.ts";
import { queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { flattrBatchPaths } from "../../src/flattr/flattr-batch.ts";
import { startServer } from "../../src/server.ts";
import { newPglite } from "../lib/scratch.ts";
import { type ApiSizes, BASELINE_TABLE, seedApi } from "./seed.ts";

/*
 * One server under test, in its own process (so the load generator does not share its event
 * loop): `ours` is the real instance (startServer, role web), `baseline` a bare Hono +
 * @hono/node-server endpoint that inserts one row per request with the same pool size.
 * Reports {ready} once listening; answers {count} (rows written), {cpu} (its CPU time),
 * {batches} (ours: its group-commit batches since the last ask, BatchFigures) and {stop} over IPC.
 */

/** The group-commit batches (src/db/batcher.ts) of part of a run: where a flattr's time went. */
export interface BatchFigures {
  batches: number;
  items: number;
  /** Share of batches holding one item. */
  singles: number;
  /** Per item, mean: time queued before its batch started, and its batch's run (ms). */
  queuedMs: number;
  runMs: number;
  /** Per batch, mean: its run (ms; a batch of one item alone: singleRunMs). */
  batchRunMs: number;
  singleRunMs: number | null;
  /** Batches running when one started, itself included, mean. */
  inFlightAtStart: number;
  /** Batches of more than one flattr decided per call, not set-based (docs/adr/0035). */
  perCall: number;
}

/** Collects the batches since the last take(). */
function batchCollector() {
  let b = 0;
  let items = 0;
  let singles = 0;
  let singleRun = 0;
  let queued = 0;
  let runItems = 0;
  let run = 0;
  let inFlight = 0;
  let perCallBefore = flattrBatchPaths.perCall;
  observeBatches((s) => {
    b++;
    items += s.size;
    queued += s.queuedMs;
    runItems += s.runMs * s.size;
    run += s.runMs;
    inFlight += s.inFlight;
    if (s.size === 1) {
      singles++;
      singleRun += s.runMs;
    }
  });
  return (): BatchFigures => {
    const f: BatchFigures = {
      batches: b,
      items,
      singles: singles / Math.max(1, b),
      queuedMs: queued / Math.max(1, items),
      runMs: runItems / Math.max(1, items),
      batchRunMs: run / Math.max(1, b),
      singleRunMs: singles > 0 ? singleRun / singles : null,
      inFlightAtStart: inFlight / Math.max(1, b),
      perCall: flattrBatchPaths.perCall - perCallBefore,
    };
    perCallBefore = flattrBatchPaths.perCall;
    b = items = singles = singleRun = queued = runItems = run = inFlight = 0;
    return f;
  };
}

export interface ServerSpec {
  kind: "ours" | "baseline";
  db: "pg" | "pglite";
  /** PostgreSQL: the scratch database (already seeded for `ours`). */
  url?: string;
  port: number;
  pool: number;
  /** PGlite: the server seeds its in-memory database itself. */
  sizes?: ApiSizes;
  nonce?: string;
  /** PGlite: seed the Mastodon benchmark's statuses and app too (bench/mastodon). */
  mastodon?: boolean;
  /** PGlite: tokens stamped at seeding (`--tokens-in-use`). */
  tokensInUse?: boolean;
}

const spec = JSON.parse(process.argv[2]!) as ServerSpec;

async function ours(): Promise<{ count(): Promise<number>; stop(): Promise<void> }> {
  const config = loadConfig({
    ORIGIN: `http://127.0.0.1:${spec.port}`,
    PORT: String(spec.port),
    NODE_TYPE: "web",
    REGISTRATION: "closed",
    CURRENCY: "EUR",
    TIME_ZONE: "UTC",
    LOG_LEVEL: "warning",
    ...(spec.db === "pg" ? { DATABASE_URL: spec.url } : {}),
  });
  // Production logs at info, one line per request to the console; the bench measures the
  // request path, not a terminal's speed, so it logs warnings only.
  await configureLogging("warning");
  let pglite: Awaited<ReturnType<typeof newPglite>> | undefined;
  if (spec.db === "pglite") {
    pglite = await newPglite();
    await migrate(pglite.database);
    await seedApi(pglite.database.db, spec.sizes!, spec.nonce!, {
      mastodon: spec.mastodon,
      tokensInUse: spec.tokensInUse,
    });
  }
  const server = await startServer(config, {
    role: "web",
    hostname: "127.0.0.1",
    ...(pglite ? { deps: { database: pglite.database } } : {}),
  });
  const db = server.deps.database.db;
  return {
    count: async () => {
      const [r] = await queryRows<{ n: string }>(db, dsql`select count(*)::text as n from flattrs`);
      return Number(r?.n ?? 0);
    },
    stop: async () => {
      await server.stop();
      await pglite?.database.close();
    },
  };
}

async function baseline(): Promise<{ count(): Promise<number>; stop(): Promise<void> }> {
  let insert: (thingId: number, token: string) => Promise<number>;
  let count: () => Promise<number>;
  let close: () => Promise<void>;
  if (spec.db === "pg") {
    const sql = postgres(spec.url!, { max: spec.pool, onnotice: () => {} });
    await sql.unsafe(BASELINE_TABLE);
    insert = async (thingId, token) => {
      const [row] = await sql`insert into bench_flattrs (thing_id, token)
                              values (${thingId}, ${token}) returning id`;
      return Number(row!.id);
    };
    count = async () => Number((await sql`select count(*)::int as n from bench_flattrs`)[0]!.n);
    close = () => sql.end({ timeout: 5 });
  } else {
    const pg = await PGlite.create();
    await pg.exec(BASELINE_TABLE);
    insert = async (thingId, token) => {
      const r = await pg.query<{ id: number }>(
        "insert into bench_flattrs (thing_id, token) values ($1, $2) returning id",
        [thingId, token],
      );
      return Number(r.rows[0]!.id);
    };
    count = async () =>
      (await pg.query<{ n: number }>("select count(*)::int as n from bench_flattrs")).rows[0]!.n;
    close = () => pg.close();
  }
  const app = new Hono();
  app.post("/api/flattr/v1/things/:id/flattr", async (c) => {
    const id = await insert(Number(c.req.param("id")), c.req.header("authorization") ?? "");
    return c.json({ id }, 201);
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: spec.port, hostname: "127.0.0.1" }, () => resolve(s));
  });
  return {
    count,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await close();
    },
  };
}

const takeBatches = spec.kind === "ours" ? batchCollector() : null;
const running = spec.kind === "ours" ? await ours() : await baseline();
process.on("message", async (m: { type: string }) => {
  if (m.type === "count") process.send!({ type: "count", n: await running.count() });
  if (m.type === "cpu") {
    const u = process.cpuUsage();
    process.send!({ type: "cpu", ms: (u.user + u.system) / 1000 });
  }
  if (m.type === "batches") process.send!({ type: "batches", batches: takeBatches?.() ?? null });
  if (m.type === "stop") {
    await running.stop().catch(() => {});
    process.exit(0);
  }
});
process.send!({ type: "ready" });
