import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
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
    mkdirSync(dir, { recursive: true });
    release = acquireDataDirLock(dir, holder);
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

export async function openDatabase(
  opts: { databaseUrl: string | undefined; dataDir: string },
  holder?: LockHolder,
): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(opts.dataDir, holder);
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
interface DrizzleInternals {
  dialect: { sqlToQuery(query: SQL): unknown };
  session: {
    prepareQuery(
      query: unknown,
      fields: undefined,
      name: string | undefined,
      arrayMode: boolean,
    ): { execute(): Promise<unknown> };
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
