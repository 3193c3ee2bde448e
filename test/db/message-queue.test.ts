import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageQueueEnqueueOptions } from "@fedify/fedify";
import { testMessageQueue } from "@fedify/testing";
import { Temporal } from "@js-temporal/polyfill";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openPostgres, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { DbMessageQueue, type DbMessageQueueOptions } from "../../src/federation/message-queue.ts";
import { createPostgresDatabaseUrl, createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { queueRows, tapStatements } from "../helpers/queue.ts";
import { until, within } from "../helpers/wait.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

/** A queue on its own channel, so tests in this file cannot see each other's rows. */
function queue(options: DbMessageQueueOptions = {}, db = database.db): DbMessageQueue {
  return new DbMessageQueue(db, { channel: randomUUID(), pollIntervalMs: 50, ...options });
}

// Fedify types durations with the global Temporal of TypeScript's lib; Node 24 has only the polyfill.
const seconds = (s: number) =>
  Temporal.Duration.from({ seconds: s }) as unknown as NonNullable<
    MessageQueueEnqueueOptions["delay"]
  >;

async function rows(channel: string) {
  return queryRows<{ attempts: number; locked: boolean }>(
    database.db,
    sql`select attempts, locked_until is not null as locked from fedify_queue
        where channel = ${channel} order by id`,
  );
}

// The suite waits out fixed delays of its own (about 10 s per run): run both variants at once.
describe("Fedify's testMessageQueue conformance suite", () => {
  it.concurrent.each([
    { notify: true, label: "with LISTEN/NOTIFY" },
    { notify: false, label: "polling only" },
  ])("passes $label, ordering keys included", async ({ notify }) => {
    const channel = randomUUID();
    await testMessageQueue(
      () => new DbMessageQueue(database.db, { channel, notify, pollIntervalMs: 100 }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  });
});

describe("DbMessageQueue", () => {
  it("wakes on NOTIFY without waiting for the poll interval", async () => {
    let statements = 0;
    // It polls only every 10 minutes: a message handled within the bound below was woken by NOTIFY.
    const q = queue(
      { pollIntervalMs: 600_000 },
      tapStatements(database.db, { after: () => void statements++ }),
    );
    const got: unknown[] = [];
    const ac = new AbortController();
    const listening = q.listen((m) => void got.push(m), { signal: ac.signal });
    // LISTEN comes before the first claim; once that claim is done, the listener is idle.
    await until(() => statements >= 1, { what: "the listener's first claim" });
    await within(10_000, "enqueue", q.enqueue("now"));
    await until(() => got.length === 1, { what: "NOTIFY to wake the listener", timeoutMs: 30_000 });
    ac.abort();
    await within(10_000, "the listener's shutdown", listening);
  });

  it("stops at once when aborted while claiming (an abort is never slept through)", async () => {
    // The abort lands while the claim's statement runs: before the fix the listener then slept
    // for the whole poll interval (10 minutes here; the 60 s hang of the NOTIFY test above).
    const ac = new AbortController();
    const q = queue(
      { pollIntervalMs: 600_000, notify: false },
      tapStatements(database.db, { before: () => ac.abort() }),
    );
    await within(
      10_000,
      "the listener's shutdown",
      q.listen(() => {}, { signal: ac.signal }),
    );
  });

  it("honours delays and reports depth (ready, delayed, not counting messages in flight)", async () => {
    const q = queue();
    await q.enqueue("later", { delay: seconds(600) });
    await q.enqueueMany(["a", "b"]);
    expect(await q.getDepth()).toEqual({ queued: 3, ready: 2, delayed: 1 });

    let release!: () => void;
    const blocker = new Promise<void>((r) => {
      release = r;
    });
    const got: unknown[] = [];
    const ac = new AbortController();
    const listening = q.listen(
      async (m) => {
        got.push(m);
        await blocker;
      },
      { signal: ac.signal },
    );
    await until(() => got.length === 1);
    expect(await q.getDepth()).toEqual({ queued: 2, ready: 1, delayed: 1 });
    release();
    await until(() => got.length === 2);
    ac.abort();
    await listening;
    expect(got.sort()).toEqual(["a", "b"]);
    expect(await q.getDepth()).toEqual({ queued: 1, ready: 0, delayed: 1 });
  });

  it("enqueueMany takes batches larger than one INSERT's parameter limit", async () => {
    const q = queue();
    await q.enqueueMany(Array.from({ length: 2500 }, (_, i) => ({ i })));
    expect(await q.getDepth()).toEqual({ queued: 2500, ready: 2500, delayed: 0 });
    await database.db.execute(sql`delete from fedify_queue where channel = ${q.channel}`);
  });

  it("round-trips any JSON message, and rejects what is not JSON", async () => {
    const q = queue();
    const message = { type: "outbox", s: "nul \u0000 and emoji \u{1F600}", n: [1, 2.5, null] };
    await q.enqueue(message);
    const got: unknown[] = [];
    const ac = new AbortController();
    const listening = q.listen((m) => void got.push(m), { signal: ac.signal });
    await until(() => got.length === 1);
    ac.abort();
    await listening;
    expect(got[0]).toEqual(message);
    await expect(q.enqueue(undefined)).rejects.toThrow(TypeError);
  });

  it("a message whose handler throws comes back after the retry delay, and is dropped after maxAttempts", async () => {
    const q = queue({ maxAttempts: 3, retryDelayMs: () => 100 });
    await q.enqueue("flaky");
    await q.enqueue("poison");
    const calls: Record<string, number> = { flaky: 0, poison: 0 };
    const ac = new AbortController();
    const listening = q.listen(
      (m) => {
        const name = m as string;
        calls[name]!++;
        if (name === "poison" || calls[name] === 1) throw new Error(`${name} failed`);
      },
      { signal: ac.signal },
    );
    await until(() => calls.flaky === 2 && calls.poison === 3);
    // A row is deleted only after its last handling: with none left, nothing can call again.
    await until(async () => (await queueRows(database.db, q.channel)) === 0);
    ac.abort();
    await listening;
    expect(calls).toEqual({ flaky: 2, poison: 3 });
  });

  it("a message claimed by a process that died is taken over when its lease lapses", async () => {
    const q = queue();
    await q.enqueue("orphan");
    // What a claim by a process that then died leaves behind.
    const [{ lease }] = (await queryRows<{ lease: string }>(
      database.db,
      sql`update fedify_queue set attempts = 1, locked_until = clock_timestamp() + interval '700 ms'
          where channel = ${q.channel} returning locked_until::text as lease`,
    )) as [{ lease: string }];
    const lapsed: boolean[] = [];
    const ac = new AbortController();
    const listening = q.listen(
      async () => {
        // Judged by the database's clock, which is the one leases are made of.
        const [row] = await queryRows<{ lapsed: boolean }>(
          database.db,
          sql`select clock_timestamp() >= ${lease}::timestamptz as lapsed`,
        );
        lapsed.push(row!.lapsed);
      },
      { signal: ac.signal },
    );
    await until(() => lapsed.length === 1, {
      what: "the lease to lapse and the message to be taken",
    });
    ac.abort();
    await listening;
    expect(lapsed).toEqual([true]);
    expect(await rows(q.channel)).toEqual([]);
  });

  it("a message claimed too often without finishing (its handler kills the process) is dropped", async () => {
    const q = queue({ maxAttempts: 3 });
    await q.enqueue("crasher");
    await database.db.execute(sql`
      update fedify_queue set attempts = 3, locked_until = clock_timestamp() - interval '1 s'
      where channel = ${q.channel}`);
    const got: unknown[] = [];
    const ac = new AbortController();
    const listening = q.listen((m) => void got.push(m), { signal: ac.signal });
    await until(async () => (await rows(q.channel)).length === 0);
    ac.abort();
    await listening;
    expect(got).toEqual([]);
  });

  it("renews the lease while a slow handler runs, so no other listener takes the message", async () => {
    const channel = randomUUID();
    const opts = { channel, pollIntervalMs: 50, leaseMs: 600 };
    let otherClaims = 0;
    const q1 = new DbMessageQueue(database.db, opts);
    const q2 = new DbMessageQueue(
      tapStatements(database.db, { after: () => void otherClaims++ }),
      opts,
    );
    await q1.enqueue("slow");
    let calls = 0;
    let stolen = 0;
    // The handler outlasts the lease it was claimed with: it returns only once that lease has run
    // out on the database's clock and the other listener has looked for work twice since.
    const slow = async () => {
      calls++;
      const [{ lease }] = (await queryRows<{ lease: string }>(
        database.db,
        sql`select locked_until::text as lease from fedify_queue where channel = ${channel}`,
      )) as [{ lease: string }];
      await until(
        async () =>
          (
            await queryRows<{ over: boolean }>(
              database.db,
              sql`select clock_timestamp() > ${lease}::timestamptz as over`,
            )
          )[0]!.over,
        { what: "the first lease to run out" },
      );
      const seen = otherClaims;
      await until(() => otherClaims >= seen + 2, { what: "two claims by the other listener" });
    };
    const ac = new AbortController();
    const listening = [q1.listen(slow, { signal: ac.signal })];
    await until(() => calls === 1, { what: "the first listener to take the message" });
    listening.push(q2.listen(() => void stolen++, { signal: ac.signal }));
    await until(async () => (await queueRows(database.db, channel)) === 0, {
      what: "the slow message to be done",
    });
    ac.abort();
    await Promise.all(listening);
    expect({ calls, stolen }).toEqual({ calls: 1, stolen: 0 });
  });

  it("listen resolves on abort only after the handlers in flight have finished", async () => {
    const q = queue();
    await q.enqueue("x");
    let finished = false;
    let started = false;
    const ac = new AbortController();
    const listening = q.listen(
      async () => {
        started = true;
        await sleep(300);
        finished = true;
      },
      { signal: ac.signal },
    );
    await until(() => started);
    ac.abort();
    await listening;
    expect(finished).toBe(true);
    expect(await rows(q.channel)).toEqual([]);
  });

  it("with concurrency and two listeners, same-key messages run one at a time in order", async () => {
    const channel = randomUUID();
    const opts = { channel, pollIntervalMs: 20, concurrency: 4 };
    const q1 = new DbMessageQueue(database.db, opts);
    const q2 = new DbMessageQueue(database.db, opts);
    const keys = ["k1", "k2", "k3"];
    for (let i = 0; i < 5; i++) {
      for (const key of keys) await q1.enqueue({ key, i }, { orderingKey: key });
    }
    await q1.enqueueMany(
      Array.from({ length: 6 }, (_, i) => ({ key: null, i })),
      {},
    );
    const seen: Record<string, number[]> = { k1: [], k2: [], k3: [], none: [] };
    const running = new Set<string>();
    let overlapSameKey = false;
    let maxParallel = 0;
    let active = 0;
    const handler = async (m: unknown) => {
      const { key, i } = m as { key: string | null; i: number };
      const k = key ?? "none";
      if (key !== null && running.has(key)) overlapSameKey = true;
      if (key !== null) running.add(key);
      active++;
      maxParallel = Math.max(maxParallel, active);
      await sleep(30);
      seen[k]!.push(i);
      active--;
      if (key !== null) running.delete(key);
    };
    const ac = new AbortController();
    const listening = [
      q1.listen(handler, { signal: ac.signal }),
      q2.listen(handler, { signal: ac.signal }),
    ];
    await until(() => Object.values(seen).flat().length === 21);
    ac.abort();
    await Promise.all(listening);
    expect(overlapSameKey).toBe(false);
    for (const key of keys) expect(seen[key]).toEqual([0, 1, 2, 3, 4]);
    expect(seen.none!.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(maxParallel).toBeGreaterThan(1);
  });

  it("a delayed message holds back later messages of its ordering key", async () => {
    const q = queue();
    await q.enqueue("first", { orderingKey: "k", delay: seconds(1) });
    await q.enqueue("second", { orderingKey: "k" });
    await q.enqueue("unrelated", { orderingKey: "other" });
    const got: unknown[] = [];
    const ac = new AbortController();
    const listening = q.listen((m) => void got.push(m), { signal: ac.signal });
    await until(() => got.length === 3);
    ac.abort();
    await listening;
    expect(got).toEqual(["unrelated", "first", "second"]);
  });

  it("channels are separate queues", async () => {
    const a = queue();
    let claims = 0;
    const b = queue({}, tapStatements(database.db, { after: () => void claims++ }));
    await a.enqueue("for a");
    const got: unknown[] = [];
    const ac = new AbortController();
    const listening = b.listen((m) => void got.push(m), { signal: ac.signal });
    // a's message was committed before b's first claim, which would have taken it if it could.
    await until(() => claims >= 1, { what: "b's first claim" });
    ac.abort();
    await listening;
    expect(got).toEqual([]);
    expect((await a.getDepth()).queued).toBe(1);
  });
});

describe.runIf(usingPostgres)("two processes on PostgreSQL", () => {
  let dropDb: () => Promise<void>;
  let conns: Database[] = [];
  beforeAll(async () => {
    const created = await createPostgresDatabaseUrl();
    dropDb = created.drop;
    conns = [openPostgres(created.url, { max: 3 }), openPostgres(created.url, { max: 3 })];
    await migrate(conns[0]!);
  });
  afterAll(async () => {
    for (const c of conns) await c.close();
    await dropDb?.();
  });

  it("each message is handled exactly once by two listeners on separate connections", async () => {
    const channel = randomUUID();
    const [q1, q2] = conns.map(
      (c) => new DbMessageQueue(c.db, { channel, pollIntervalMs: 20, concurrency: 3 }),
    ) as [DbMessageQueue, DbMessageQueue];
    const n = 300;
    const handled = new Map<number, string[]>();
    const handler = (who: string) => async (m: unknown) => {
      const i = m as number;
      handled.set(i, [...(handled.get(i) ?? []), who]);
      await sleep(2);
    };
    const ac = new AbortController();
    const listening = [
      q1.listen(handler("q1"), { signal: ac.signal }),
      q2.listen(handler("q2"), { signal: ac.signal }),
    ];
    await q1.enqueueMany(Array.from({ length: n / 2 }, (_, i) => i));
    for (let i = n / 2; i < n; i++) await q2.enqueue(i);
    await until(() => handled.size === n, { timeoutMs: 30_000 });
    // Rows are deleted only after their handler: with none left, no duplicate can still come.
    await until(async () => (await queueRows(conns[0]!.db, channel)) === 0);
    ac.abort();
    await Promise.all(listening);
    expect([...handled.values()].filter((w) => w.length !== 1)).toEqual([]);
    const byQ1 = [...handled.values()].filter((w) => w[0] === "q1").length;
    expect(byQ1).toBeGreaterThan(0);
    expect(byQ1).toBeLessThan(n);
    const left = await queryRows<{ n: string }>(
      conns[0]!.db,
      sql`select count(*)::text as n from fedify_queue where channel = ${channel}`,
    );
    expect(left[0]!.n).toBe("0");
  });
});
