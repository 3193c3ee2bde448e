import { createFederation, MemoryKvStore } from "@fedify/fedify";
import { Follow, Like, Person, Undo } from "@fedify/vocab";
import { serve } from "@hono/node-server";
import { sql as dsql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { loadConfig } from "../../src/config/config.ts";
import { configureLogging } from "../../src/config/logging.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import * as schema from "../../src/db/schema/index.ts";
import { INSTANCE_KEY_OWNER, loadOrCreateKeyPairs } from "../../src/federation/keys.ts";
import { startServer } from "../../src/server.ts";
import { newPglite } from "../lib/scratch.ts";
import { type BenchActivity, benchFollow, benchPostUri, TARGET_ORIGIN } from "./remote.ts";

/*
 * One inbox under test, in its own process: `ours` is the real instance (startServer, role all:
 * the web process answers 202 once the guard passed and Fedify queued the activity, the worker
 * stores it), `baseline` a bare Fedify server whose listener only counts (Fedify verifies the
 * signature itself, no queue, nothing stored). Both claim TARGET_ORIGIN. Reports {ready} once
 * listening; answers {count} (activities processed: incoming flattrs stored, follower rows
 * stored or removed, or the listener's count),
 * {cpu} and {stop} over IPC.
 */

export interface InboxServerSpec {
  kind: "ours" | "baseline";
  db: "pg" | "pglite";
  /** PostgreSQL: an empty scratch database. */
  url?: string;
  port: number;
  users: number;
  activity: BenchActivity;
  /** Undo: the remote server whose follows are seeded, and how many. */
  remoteOrigin: string;
  deliveries: number;
}

const spec = JSON.parse(process.argv[2]!) as InboxServerSpec;

/** Statements sent to PostgreSQL by kind (their first words), the bench's own count polls apart. */
const statements: Record<string, number> = {};
const COUNT_POLL = /^select count\(\*\)::text as n from (incoming_flattrs|followers)$/;

function statementKind(text: string): string {
  const t = text.slice(0, 160).replace(/\s+/g, " ").trim();
  if (COUNT_POLL.test(t)) return "(bench count poll)";
  return t.slice(0, 70);
}

/** openPostgres, with postgres.js's debug hook counting what is sent. */
function openCountedPostgres(url: string): Database {
  const client = postgres(url, {
    max: 10,
    connect_timeout: 10,
    onnotice: () => {},
    types: {},
    debug: (_connection, text) => {
      const kind = statementKind(text);
      statements[kind] = (statements[kind] ?? 0) + 1;
    },
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: "postgres", url, close: () => client.end({ timeout: 5 }) };
}

async function ours(): Promise<{ count(): Promise<number>; stop(): Promise<void> }> {
  const config = loadConfig({
    ORIGIN: TARGET_ORIGIN,
    PORT: String(spec.port),
    NODE_TYPE: "all",
    REGISTRATION: "closed",
    LOG_LEVEL: "warning",
    // The load comes from one address and a handful of servers: limits would only refuse it.
    INBOX_IP_RATE_LIMIT: "100000000/60",
    INBOX_RATE_LIMIT: "100000000/60",
    ALLOW_PRIVATE_ADDRESS: "true",
    ...(spec.db === "pg" ? { DATABASE_URL: spec.url } : {}),
  });
  await configureLogging("warning");
  const database = spec.db === "pg" ? openCountedPostgres(spec.url!) : (await newPglite()).database;
  await migrate(database);
  await database.db.execute(
    dsql`insert into users (username, email, password_hash)
         select 'u' || g, 'u' || g || '@bench.test', 'x' from generate_series(1, ${spec.users}::int4) g`,
  );
  // Users have their keys from their first activity on; making them is not what is measured.
  for (let u = 1; u <= spec.users; u++) await loadOrCreateKeyPairs(database.db, `u${u}`);
  await loadOrCreateKeyPairs(database.db, INSTANCE_KEY_OWNER);
  if (spec.activity === "undo") {
    // The follows the deliveries undo, as onFollow would have stored them.
    const rows = Array.from({ length: spec.deliveries }, (_, k) => {
      const f = benchFollow(spec.remoteOrigin, spec.users, k);
      return { user: (k % spec.users) + 1, actor: f.actor, followId: f.id };
    });
    for (let i = 0; i < rows.length; i += 1000) {
      await database.db.execute(
        dsql`insert into followers (user_id, actor_uri, inbox_url, follow_id, created_at)
             select u.id, r.actor, r.actor || '/inbox', r."followId", now()
             from json_to_recordset(${JSON.stringify(rows.slice(i, i + 1000))}::json)
                  as r("user" int, actor text, "followId" text)
             join users u on u.username = 'u' || r."user"`,
      );
    }
  }
  if (spec.activity === "like") {
    // One post per user, each a thing (kind note), as createPost leaves them.
    await database.db.execute(
      dsql`insert into things (owner_id, kind, url, url_normalized, object_uri, title, created_at)
           select u.id, 'note', p.uri, p.uri, p.uri, 'a post', now()
           from users u
           join (select g, ${TARGET_ORIGIN} || '/users/u' || g || '/statuses/bench' as uri
                 from generate_series(1, ${spec.users}::int4) g) p on u.username = 'u' || p.g`,
    );
    if (benchPostUri(spec.users, 0) !== `${TARGET_ORIGIN}/users/u1/statuses/bench`)
      throw new Error("bench post uris and the seed disagree");
  }
  const server = await startServer(config, {
    role: "all",
    hostname: "127.0.0.1",
    deps: { database },
  });
  return {
    // Processed: follower rows stored (Follow), or seeded ones removed (Undo).
    count: async () => {
      if (spec.activity === "like") {
        const [l] = await queryRows<{ n: string }>(
          database.db,
          dsql`select count(*)::text as n from incoming_flattrs`,
        );
        return Number(l?.n ?? 0);
      }
      const [r] = await queryRows<{ n: string }>(
        database.db,
        dsql`select count(*)::text as n from followers`,
      );
      const n = Number(r?.n ?? 0);
      return spec.activity === "follow" ? n : spec.deliveries - n;
    },
    stop: async () => {
      await server.stop();
      await database.close();
    },
  };
}

async function baseline(): Promise<{ count(): Promise<number>; stop(): Promise<void> }> {
  let processed = 0;
  const federation = createFederation<void>({
    kv: new MemoryKvStore(),
    origin: TARGET_ORIGIN,
    allowPrivateAddress: true,
  });
  federation.setActorDispatcher(
    "/users/{identifier}",
    (ctx, identifier) =>
      new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        inbox: ctx.getInboxUri(identifier),
      }),
  );
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, () => {
      processed++;
    })
    .on(Undo, () => {
      processed++;
    })
    .on(Like, () => {
      processed++;
    });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch: (request) => federation.fetch(request, { contextData: undefined }),
        port: spec.port,
        hostname: "127.0.0.1",
      },
      () => resolve(s),
    );
  });
  return {
    count: async () => processed,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

const running = spec.kind === "ours" ? await ours() : await baseline();
process.on("message", async (m: { type: string }) => {
  if (m.type === "count") process.send!({ type: "count", n: await running.count() });
  if (m.type === "cpu") {
    const u = process.cpuUsage();
    process.send!({ type: "cpu", ms: (u.user + u.system) / 1000 });
  }
  if (m.type === "statements") process.send!({ type: "statements", statements });
  if (m.type === "stop") {
    await running.stop().catch(() => {});
    process.exit(0);
  }
});
process.send!({ type: "ready" });
