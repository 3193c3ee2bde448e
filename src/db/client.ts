import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { errorCode, redactUrl, StartupError } from "../config/startup-error.ts";
import { acquireDataDirLock, type LockHolder } from "./lock.ts";

export { DataDirLockedError, type LockHolder } from "./lock.ts";

import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/** A database or a transaction: every domain function takes one of these. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** PostgreSQL only: the URL, for connections that must be separate (migration lock). */
  url?: string;
  close(): Promise<void>;
}

/** Production PostgreSQL through postgres.js. */
export function openPostgres(url: string, options: { max?: number } = {}): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    // A server that does not answer is reported within seconds, not after postgres.js's 30.
    connect_timeout: 10,
    onnotice: () => {},
    // Amounts are int8; keep them exact (strings, converted by drizzle's bigint columns).
    types: {},
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return { db, kind: "postgres", url, close: () => client.end({ timeout: 5 }) };
}

/**
 * Embedded PGlite. With a data directory it takes an exclusive lock file first: PGlite is one
 * session in one process, and two processes on the same directory corrupt it. `holder` is written
 * into the lock, so a process refused later can say who holds the directory.
 */
export async function openPglite(
  dataDir: string | undefined,
  holder?: LockHolder,
): Promise<Database> {
  let release = () => {};
  let client: PGlite;
  if (dataDir) {
    const dir = resolve(dataDir);
    try {
      mkdirSync(dir, { recursive: true });
      release = acquireDataDirLock(dir, holder);
    } catch (e) {
      throw dataDirError(dir, e);
    }
    try {
      client = await PGlite.create(resolve(dir, "pg"));
    } catch (e) {
      release();
      throw e;
    }
  } else {
    client = await PGlite.create();
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    close: async () => {
      await client.close();
      release();
    },
  };
}

/** Errors of the file system that mean "this directory cannot be ours", said as the setting. */
const UNWRITABLE = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST", "ENOSPC", "EISDIR"]);

function dataDirError(dir: string, e: unknown): unknown {
  const code = errorCode(e);
  if (!code || !UNWRITABLE.has(code)) return e;
  const why =
    code === "ENOTDIR" || code === "EEXIST"
      ? "is not a directory (a file is in the way)"
      : code === "ENOSPC"
        ? "is on a full disk"
        : "is not writable by this user";
  return new StartupError(
    "DATA_DIR",
    `The data directory ${dir} ${why} (${code}). Set DATA_DIR to a directory this user can ` +
      "write, or DATABASE_URL to use PostgreSQL.",
  );
}

/** Connection failures (not bugs): the server is down, the name is wrong, the login is refused. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "28P01", // password authentication failed
  "28000", // no such role / not allowed
  "3D000", // database does not exist
]);

/**
 * Opens the configured database for a process. PostgreSQL connects lazily, so it is asked once
 * here: a server that cannot be reached is reported at start-up, naming DATABASE_URL.
 */
export async function openDatabase(
  opts: { databaseUrl: string | undefined; dataDir: string },
  holder?: LockHolder,
): Promise<Database> {
  if (!opts.databaseUrl) return openPglite(opts.dataDir, holder);
  const database = openPostgres(opts.databaseUrl);
  try {
    await database.db.execute(sql`select 1`);
  } catch (e) {
    await database.close().catch(() => {});
    const code = errorCode(e);
    if (!code || !UNREACHABLE.has(code)) throw e;
    throw new StartupError(
      "DATABASE_URL",
      `PostgreSQL at ${redactUrl(opts.databaseUrl)} is not reachable (${code}: ${firstLine(e)}). ` +
        "Check DATABASE_URL and that the server is running.",
    );
  }
  return database;
}

/** The driver's own message (drizzle wraps it as the `cause` of "Failed query: …"). */
function firstLine(e: unknown): string {
  let x = e as { message?: unknown; cause?: unknown } | undefined;
  while (x?.cause) x = x.cause as typeof x;
  return String(x?.message ?? x).split("\n")[0]!;
}

/** Rows of a raw query; PGlite answers `{rows}`, postgres.js an array. */
export async function queryRows<T extends Record<string, unknown>>(
  db: Db,
  query: SQL,
): Promise<T[]> {
  const r = (await db.execute(query)) as unknown;
  return (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
}

/** The parts of drizzle's database object that `db.execute` itself uses (not in its types). */
export interface DrizzleInternals {
  dialect: { sqlToQuery(query: SQL): unknown };
  session: {
    prepareQuery(
      query: unknown,
      fields: undefined,
      name: string | undefined,
      arrayMode: boolean,
    ): { execute(placeholderValues?: Record<string, unknown>): Promise<unknown> };
  };
}

/**
 * Like queryRows, for hot statements: a prepared statement. postgres.js sends a raw query that has
 * parameters in two round trips (Parse/Describe, wait, then Bind/Execute) every time, and the
 * server parses and plans it every time; a prepared one is described once per connection and then
 * costs one round trip. `db.execute` is exactly this call without a name (drizzle-orm 0.45).
 * PGlite runs it as an ordinary query.
 */
export async function preparedRows<T extends Record<string, unknown>>(
  db: Db,
  name: string,
  query: SQL,
): Promise<T[]> {
  const d = db as unknown as DrizzleInternals;
  const r = await d.session
    .prepareQuery(d.dialect.sqlToQuery(query), undefined, name, false)
    .execute();
  return (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
}
