import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import postgres from "postgres";
import { type Database, type Db, openPostgres } from "../../src/db/client.ts";
import * as schema from "../../src/db/schema/index.ts";

/*
 * Scratch databases for one benchmark run: ff_bench_<random> on the PostgreSQL server, dropped
 * at the end (unless --keep). Copies of a seeded database are made with CREATE DATABASE …
 * TEMPLATE, so the close and its baseline start from byte-identical data.
 */

export interface Scratch {
  name: string;
  url: string;
}

const created = new Set<string>();

function withDatabase(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.href;
}

async function admin<T>(serverUrl: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function scratchName(tag: string): string {
  return `ff_bench_${tag}_${randomBytes(4).toString("hex")}`;
}

/** A new empty database (or a copy of `template`, which must have no open connections). */
export async function createScratch(
  serverUrl: string,
  tag: string,
  template?: string,
): Promise<Scratch> {
  const name = scratchName(tag);
  await admin(serverUrl, (sql) =>
    sql.unsafe(`create database ${name}${template ? ` template ${template}` : ""}`),
  );
  created.add(name);
  return { name, url: withDatabase(serverUrl, name) };
}

export async function dropScratch(serverUrl: string, name: string): Promise<void> {
  await admin(serverUrl, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`));
  created.delete(name);
}

/**
 * Writes the server's dirty buffers out now (CHECKPOINT), before a pair is measured: the seed
 * just wrote a database, and work before the run (another bench's 100,000-line summaries) can
 * leave a checkpoint due. One that lands inside the measured seconds slowed every commit of the
 * first API pairs on a quiet machine (a flattr alone 3.3 ms instead of 2.0 ms in one run).
 */
export async function checkpoint(serverUrl: string): Promise<void> {
  await admin(serverUrl, (sql) => sql.unsafe("checkpoint"));
}

/** Drops every scratch database this process created and has not dropped yet. */
export async function dropAllScratch(serverUrl: string): Promise<void> {
  for (const name of [...created]) await dropScratch(serverUrl, name);
}

export function scratchNames(): string[] {
  return [...created];
}

export function openScratch(s: Scratch, max = 10): Database {
  return openPostgres(s.url, { max });
}

/** In-memory PGlite wrapped like openPglite() does, keeping the client for clone(). */
export interface PgliteHandle {
  client: PGlite;
  database: Database;
}

export function wrapPglite(client: PGlite): PgliteHandle {
  const db = drizzle(client, { schema }) as unknown as Db;
  return { client, database: { db, kind: "pglite", close: () => client.close() } };
}

export async function newPglite(): Promise<PgliteHandle> {
  return wrapPglite(await PGlite.create());
}

/** An identical in-memory copy (PGlite's clone(): dump and reload of the data directory). */
export async function clonePglite(h: PgliteHandle): Promise<PgliteHandle> {
  return wrapPglite((await h.client.clone()) as PGlite);
}
