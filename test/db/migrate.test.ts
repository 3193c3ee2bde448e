import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openPostgres, queryRows } from "../../src/db/client.ts";
import { MIGRATION_LOCK, migrate, migrationsFolder } from "../../src/db/migrate.ts";
import { createPostgresDatabaseUrl, createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { until } from "../helpers/wait.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

it("applies migrations idempotently", async () => {
  await migrate(database);
  const rows = await queryRows<{ n: string }>(
    database.db,
    sql`select count(*)::text as n from information_schema.tables where table_name = 'users'`,
  );
  expect(rows[0]?.n).toBe("1");
  expect(await appliedMigrations(database.db)).toEqual(journal().map((e) => e.when));
});

const journal = (): { tag: string; when: number }[] =>
  JSON.parse(readFileSync(join(migrationsFolder, "meta/_journal.json"), "utf8")).entries;

/** created_at of every row of drizzle's migrations table, in the order they were applied. */
async function appliedMigrations(db: Database["db"]): Promise<number[]> {
  const rows = await queryRows<{ created_at: string }>(
    db,
    sql`select created_at::text as created_at from drizzle.__drizzle_migrations order by id`,
  );
  return rows.map((r) => Number(r.created_at));
}

/** Every column, index, constraint, function and trigger, as comparable lines. */
async function schemaOf(db: Database["db"]): Promise<string[]> {
  const rows = await queryRows<{ item: string }>(
    db,
    sql`select item from (
          select 'column ' || table_schema || '.' || table_name || '.' || column_name || ' '
                 || data_type || ' ' || is_nullable || coalesce(' default ' || column_default, '')
                 as item
          from information_schema.columns where table_schema in ('public', 'drizzle')
          union all
          select 'index ' || indexdef from pg_indexes where schemaname in ('public', 'drizzle')
          union all
          select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' '
                 || pg_get_constraintdef(oid)
          from pg_constraint where connamespace = 'public'::regnamespace
          union all
          select 'function ' || oid::regprocedure::text || ' ' || md5(prosrc)
          from pg_proc where pronamespace = 'public'::regnamespace
          union all
          select 'trigger ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
        ) s order by item`,
  );
  return rows.map((r) => r.item);
}

// The migration lock (src/db/migrate.ts) matters only when processes share a database server.
const onePglite =
  "PostgreSQL only: PGlite is one process with one session, so there is no second process to lock out";

describe("two processes migrating one fresh database at the same moment", () => {
  const child = fileURLToPath(new URL("../helpers/migrate-child.ts", import.meta.url));

  /** A child process migrating `url`, named in pg_stat_activity by its application_name. */
  function startMigrating(url: string, name: string, withoutLock = false) {
    const named = new URL(url);
    named.searchParams.set("application_name", name);
    const args = ["--import", "tsx", child, named.href, ...(withoutLock ? ["--without-lock"] : [])];
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const result = { name, exited: false, code: null as number | null, stderr: "" };
    const done = new Promise<typeof result>((resolve) =>
      proc.on("exit", (code) => {
        Object.assign(result, { exited: true, code, stderr });
        resolve(result);
      }),
    );
    return { result, done };
  }

  /**
   * The barrier that makes the two processes overlap for certain: an open transaction that has
   * created the first table the first migration creates. A migration reaching that statement
   * waits (on this transaction's lock) until `release()` rolls it back, leaving nothing behind.
   */
  async function barrier(url: string) {
    const firstSql = readFileSync(join(migrationsFolder, `${journal()[0]!.tag}.sql`), "utf8");
    const table = /CREATE TABLE "([^"]+)"/.exec(firstSql)![1]!;
    const client = postgres(url, { max: 1, onnotice: () => {} });
    const tx = await client.reserve();
    await tx`begin`;
    await tx.unsafe(`create table "${table}" (barrier int)`);
    let released: Promise<void> | undefined;
    return () => {
      released ??= (async () => {
        try {
          await tx`rollback`;
          tx.release();
        } finally {
          await client.end();
        }
      })();
      return released;
    };
  }

  /** What the children's sessions hold or wait for, seen from a third session. */
  function sessionsOf(probe: postgres.Sql, names: string[]) {
    return probe<
      { app: string; advisory: "held" | "waiting" | null; waitType: string | null; wait: string }[]
    >`
      select a.application_name as app, a.wait_event_type as "waitType",
             coalesce(a.wait_event, '') as wait,
             (select case when l.granted then 'held' else 'waiting' end from pg_locks l
              where l.pid = a.pid and l.locktype = 'advisory' and l.classid = 0
                and l.objid = ${MIGRATION_LOCK} and l.objsubid = 1) as advisory
      from pg_stat_activity a
      where a.datname = current_database() and a.application_name in ${probe(names)}
      order by a.application_name`;
  }

  it("with the lock: one migrates while the other provably waits, both succeed, each migration is applied once", async (ctx) => {
    ctx.skip(!usingPostgres, onePglite);
    const fresh = await createPostgresDatabaseUrl();
    const probe = postgres(fresh.url, { max: 1, onnotice: () => {} });
    const release = await barrier(fresh.url);
    try {
      const a = startMigrating(fresh.url, "ff-migrate-a");
      const b = startMigrating(fresh.url, "ff-migrate-b");
      // The moment that proves the lock: one child holds it and is stuck inside its migration
      // (on the barrier), while the other waits for the advisory lock itself.
      const seen = await until(
        async () => {
          for (const c of [a.result, b.result]) {
            if (c.exited) throw new Error(`${c.name} exited early (${c.code}): ${c.stderr}`);
          }
          const sessions = await sessionsOf(probe, ["ff-migrate-a", "ff-migrate-b"]);
          const holder = sessions.find((s) => s.advisory === "held" && s.waitType === "Lock");
          const waiter = sessions.find((s) => s.advisory === "waiting");
          return holder && waiter ? { holder, waiter } : null;
        },
        { what: "one child to hold the migration lock while the other waits", timeoutMs: 30_000 },
      );
      expect(seen.holder.app).not.toBe(seen.waiter.app);
      expect(seen.waiter).toMatchObject({ waitType: "Lock", wait: "advisory" });
      await release();
      const results = await Promise.all([a.done, b.done]);
      // (A failing child's stderr is in the diff.)
      expect(
        results.map((r) => ({ name: r.name, code: r.code, error: r.code ? r.stderr : "" })),
      ).toEqual([
        { name: "ff-migrate-a", code: 0, error: "" },
        { name: "ff-migrate-b", code: 0, error: "" },
      ]);
      const migrated = openPostgres(fresh.url, { max: 1 });
      const db = migrated.db;
      try {
        // Each migration once, in order, and the schema equal to one migrated alone.
        expect(await appliedMigrations(db)).toEqual(journal().map((e) => e.when));
        const schema = await schemaOf(db);
        expect(schema.length).toBeGreaterThan(100);
        expect(schema).toEqual(await schemaOf(database.db));
      } finally {
        await migrated.close();
      }
    } finally {
      await release();
      await probe.end();
      await fresh.drop();
    }
  });

  it("without the lock the same start fails: both read 'nothing applied' and create the same tables", async (ctx) => {
    ctx.skip(!usingPostgres, onePglite);
    const fresh = await createPostgresDatabaseUrl();
    const probe = postgres(fresh.url, { max: 1, onnotice: () => {} });
    const release = await barrier(fresh.url);
    try {
      const a = startMigrating(fresh.url, "ff-unlocked-a", true);
      const b = startMigrating(fresh.url, "ff-unlocked-b", true);
      // Both blocked inside their migration on the barrier, having both found nothing applied.
      // (Rarely one already lost the race on drizzle's own `create schema if not exists`, which
      // is the same failure, earlier.)
      await until(
        async () => {
          if (a.result.exited || b.result.exited) return true;
          const sessions = await sessionsOf(probe, ["ff-unlocked-a", "ff-unlocked-b"]);
          return sessions.filter((s) => s.waitType === "Lock").length === 2;
        },
        { what: "both children to block on the barrier", timeoutMs: 30_000 },
      );
      await release();
      const results = await Promise.all([a.done, b.done]);
      const failed = results.filter((r) => r.code !== 0);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.stderr).toMatch(/already exists|duplicate key value/);
    } finally {
      await release();
      await probe.end();
      await fresh.drop();
    }
  });
});
