// Concurrency of the close and of flattr/unflattr: only meaningful on PostgreSQL (PGlite is one
// session), so the whole file is skipped unless TEST_DATABASE_URL is set.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, openPostgres, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { FlattrError } from "../../src/flattr/errors.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { assertClosePosted, expectedClose } from "../helpers/close-oracle.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { deposit, makeUser, makeUsers, seedPeriod } from "../helpers/flattr.ts";
import { until } from "../helpers/wait.ts";

const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  FEE_BP: "500",
  FLATTR_RATE_LIMIT: "100000/1",
  MAX_FLATTRS_PER_PERIOD: "100000",
});
const after = fixedClock("2030-01-01T00:00:00Z");

describe.skipIf(!usingPostgres)("concurrency on PostgreSQL", () => {
  let database: Database;
  let other: Database;
  let db: Db;
  let db2: Db;
  beforeAll(async () => {
    database = await createTestDatabase();
    other = openPostgres(database.url!, { max: 10 });
    db = database.db;
    db2 = other.db;
  });
  afterAll(async () => {
    await other?.close();
    await database?.close();
  });

  it("two closes at once in two pools post every payer exactly once", async () => {
    await seedPeriod(db, config, {
      period: "2025-01",
      createdAt: "2025-01-15T12:00:00Z",
      payers: 600,
    });
    const expected = await expectedClose(db, config, "2025-01");
    const [a, b, c] = await Promise.all([
      closePeriod(db, after, config, "2025-01", { batchSize: 37 }),
      closePeriod(db2, after, config, "2025-01", { batchSize: 50 }),
      closePeriod(db2, after, config, "2025-01", { batchSize: 13 }),
    ]);
    // Each payer was claimed by exactly one of them.
    expect(a.thisRun.users + b.thisRun.users + c.thisRun.users).toBe(600);
    expect(a.thisRun.amount + b.thisRun.amount + c.thisRun.amount).toBe(a.total.amount);
    await assertClosePosted(db, config, "2025-01", expected);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("a close killed halfway (SIGKILL) and run again posts every payer exactly once", async () => {
    await seedPeriod(db, config, {
      period: "2025-02",
      createdAt: "2025-02-15T12:00:00Z",
      payers: 2000,
    });
    const expected = await expectedClose(db, config, "2025-02");
    const script = fileURLToPath(new URL("../helpers/close-child.ts", import.meta.url));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", script, database.url!, "2025-02", "10"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let batches = 0;
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    child.stdout.on("data", (chunk: Buffer) => {
      batches += (chunk.toString().match(/batch/g) ?? []).length;
      if (batches >= 5) child.kill("SIGKILL");
    });
    await exited;
    expect(batches).toBeGreaterThanOrEqual(5);
    const [partial] = await queryRows<{ n: string }>(
      db,
      sql`select count(*)::text as n from close_payers where period = '2025-02'`,
    );
    // Killed halfway: some payers done, not all (the kill may land inside a batch, which then
    // rolled back as a whole).
    expect(Number(partial!.n)).toBeGreaterThanOrEqual(50);
    expect(Number(partial!.n)).toBeLessThan(2000);
    const rerun = await closePeriod(db, after, config, "2025-02", { batchSize: 300 });
    expect(rerun.thisRun.users).toBe(2000 - Number(partial!.n));
    expect(rerun.total.users).toBe(2000);
    await assertClosePosted(db, config, "2025-02", expected);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("concurrent flattrs of one thing by one user make exactly one row", async () => {
    const clock = fixedClock("2026-06-10T12:00:00Z");
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    await setBudget(db, clock, config, payer, 500n);
    const { thing } = await registerThing(db, clock, config, owner, {
      url: "https://race.example/one",
      title: "race",
    });
    const attempts = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        flattr(i % 2 ? db : db2, clock, config, payer, thing.id),
      ),
    );
    const ok = attempts.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(1);
    for (const r of attempts) {
      if (r.status === "rejected") {
        expect(r.reason).toBeInstanceOf(FlattrError);
        expect((r.reason as FlattrError).code).toBe("already_flattred");
      }
    }
    // Flattr and unflattr racing each other: never two active rows, the last word is consistent.
    const ops = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? unflattr(i % 2 ? db : db2, clock, config, payer, thing.id)
          : flattr(i % 2 ? db : db2, clock, config, payer, thing.id),
      ),
    );
    for (const r of ops) {
      if (r.status === "rejected") {
        expect(["already_flattred", "not_flattred"]).toContain((r.reason as FlattrError).code);
      }
    }
    const [rows] = await queryRows<{ active: string; total: string }>(
      db,
      sql`select count(*) filter (where withdrawn_at is null)::text as active, count(*)::text as total
          from flattrs where thing_id = ${thing.id} and payer_id = ${payer}`,
    );
    expect(Number(rows!.active)).toBeLessThanOrEqual(1);
    const flattrsOk = ops.filter((r, i) => i % 3 !== 0 && r.status === "fulfilled").length;
    const unflattrsOk = ops.filter((r, i) => i % 3 === 0 && r.status === "fulfilled").length;
    expect(Number(rows!.total)).toBe(1 + flattrsOk);
    expect(Number(rows!.active)).toBe(1 + flattrsOk - unflattrsOk);
  });

  it("a flattr waiting for the seal's lock sees the seal once it commits (one statement, fresh snapshot)", async () => {
    // ADR 0002's core case, made deterministic: flattr_thing's statement starts (and takes its
    // snapshot) while the seal holds the exclusive lock; it must wait, then see the committed seal
    // and refuse. Its closed_periods read runs after the lock with a snapshot of its own.
    const clock = fixedClock("2025-05-20T12:00:00Z");
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    await deposit(db, config, payer, 1000n);
    await setBudget(db, clock, config, payer, 500n);
    const t1 = (
      await registerThing(db, clock, config, owner, { url: "https://seal.example/1", title: "1" })
    ).thing.id;
    const t2 = (
      await registerThing(db, clock, config, owner, { url: "https://seal.example/2", title: "2" })
    ).thing.id;
    await flattr(db, clock, config, payer, t1);
    const waiting = async (n: number) => {
      for (let i = 0; i < 500; i++) {
        const [r] = await queryRows<{ n: string }>(
          db,
          sql`select count(*)::text as n from pg_locks
              where locktype = 'advisory' and not granted and classid = ${0x66706572}
                and objid = 202505`,
        );
        if (Number(r!.n) >= n) return;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error("the flattrs never waited for the seal's lock");
    };
    let writes: Promise<unknown>[] = [];
    await db2.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${0x66706572}::int4, 202505::int4)`);
      await tx.execute(
        sql`insert into closed_periods (period, started_at) values ('2025-05', now())`,
      );
      writes = [flattr(db, clock, config, payer, t2), unflattr(db, clock, config, payer, t1)].map(
        (p) =>
          p.then(
            () => "written",
            (e: unknown) => e,
          ),
      );
      await waiting(2);
    });
    for (const r of await Promise.all(writes)) {
      expect(r).toBeInstanceOf(FlattrError);
      expect((r as FlattrError).message).toBe(
        "The period 2025-05 is being closed right now; flattrs for it can no longer be changed.",
      );
    }
    const [rows] = await queryRows<{ active: string; total: string }>(
      db,
      sql`select count(*) filter (where withdrawn_at is null)::text as active,
                 count(*)::text as total
          from flattrs where payer_id = ${payer}`,
    );
    expect(rows).toEqual({ active: "1", total: "1" });
  });

  it("flattrs and unflattrs racing the close are either paid or refused, never lost", async () => {
    // A period whose end has passed but whose flattrs still arrive from a lagging clock.
    const late = fixedClock("2025-03-31T21:59:59.999Z"); // 23:59:59.999 in Berlin, still March
    const owners = await makeUsers(db, 5, "raceowner");
    const things: number[] = [];
    for (const o of owners)
      for (let j = 0; j < 4; j++)
        things.push(
          (
            await registerThing(db, late, config, o, {
              url: `https://race.example/${o}/${j}`,
              title: "t",
            })
          ).thing.id,
        );
    const payers = await makeUsers(db, 60, "racepayer");
    for (const p of payers) {
      await deposit(db, config, p, 1000n);
      await setBudget(db, late, config, p, 400n);
    }
    // Half of the payers already flattred two things; they will try to withdraw one.
    for (const p of payers.slice(0, 30)) {
      await flattr(db, late, config, p, things[p % 20]!);
      await flattr(db, late, config, p, things[(p + 1) % 20]!);
    }
    // Every payer keeps flattring (or, for the first half, first withdraws one) until refused;
    // the close starts while they are at it, so writes are in flight at the moment of the seal.
    let refused = 0;
    let landed = 0;
    const worker = async (i: number, p: number) => {
      const d = i % 2 ? db : db2;
      try {
        if (i < 30) await unflattr(d, late, config, p, things[p % 20]!);
        for (let k = 2; k < 20; k++) {
          await flattr(d, late, config, p, things[(p + k) % 20]!);
          landed++;
        }
      } catch (e) {
        expect(e).toBeInstanceOf(FlattrError);
        expect((e as FlattrError).code).toBe("period_closed");
        refused++;
      }
    };
    const workers = payers.map((p, i) => worker(i, p));
    // Start the close once the flattrs are landing (not after a guessed pause: on a slow machine
    // none might have landed yet, on a fast one all), so that some land and some are refused.
    await until(() => landed > 0, { what: "the first flattr to land", intervalMs: 1 });
    const close = closePeriod(db, after, config, "2025-03", { batchSize: 7 });
    await Promise.all([...workers, close]);
    expect(refused).toBeGreaterThan(0); // the close really overtook some of them
    expect(landed).toBeGreaterThan(0);
    // Whatever committed before the seal is in the close; whatever came after was refused. The
    // expected close computed from the rows as they are now must equal what was posted.
    const expected = await expectedClose(db, config, "2025-03");
    await assertClosePosted(db, config, "2025-03", expected);
    expect(await checkLedger(db)).toEqual([]);
    // And nothing changes the period any more.
    await expect(flattr(db, late, config, payers[59]!, things[0]!)).rejects.toMatchObject({
      code: "period_closed",
    });
  });
});
