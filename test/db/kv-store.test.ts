import type { KvStoreSetOptions } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { DbKvStore } from "../../src/federation/kv-store.ts";
import { TransactionScope } from "../../src/federation/message-queue.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
const clock = fixedClock("2025-03-01T12:00:00Z");
let kv: DbKvStore;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.db.execute(sql`delete from fedify_kv`);
  clock.set("2025-03-01T12:00:00Z");
  kv = new DbKvStore(database.db, { clock });
});

// Fedify types durations with the global Temporal of TypeScript's lib; Node 24 has only the polyfill.
type Duration = NonNullable<KvStoreSetOptions["ttl"]>;
const duration = (like: Temporal.DurationLike) =>
  Temporal.Duration.from(like) as unknown as Duration;
const ttl = (seconds: number) => ({ ttl: duration({ seconds }) });

async function all(prefix?: readonly [string, ...string[]]) {
  const out: { key: readonly string[]; value: unknown }[] = [];
  for await (const e of kv.list(prefix as never)) out.push(e);
  return out;
}

async function rowCount(): Promise<number> {
  const r = await queryRows<{ n: string }>(
    database.db,
    sql`select count(*)::text as n from fedify_kv`,
  );
  return Number(r[0]!.n);
}

describe("get / set / delete", () => {
  it("round-trips JSON values exactly, null included", async () => {
    const values: unknown[] = [
      null,
      true,
      0,
      -1.5,
      "",
      "text with \u0000 and \u{1F600}",
      [1, "two", null],
      { b: 1, a: { nested: [true] }, "1": "numeric key" },
    ];
    for (const [i, v] of values.entries()) await kv.set(["v", String(i)], v);
    for (const [i, v] of values.entries()) expect(await kv.get(["v", String(i)])).toEqual(v);
    // null is a value, not absence (Fedify caches "key unavailable" as null).
    expect(await kv.get(["v", "0"])).toBeNull();
    expect(await kv.get(["missing"])).toBeUndefined();
  });

  it("overwrites, and set without ttl clears an earlier ttl", async () => {
    await kv.set(["k"], 1, ttl(10));
    await kv.set(["k"], 2);
    clock.advance(3_600_000);
    expect(await kv.get(["k"])).toBe(2);
  });

  it("keys are arrays: ['a','b'] and ['a,b'] and ['a/b'] are distinct", async () => {
    await kv.set(["a", "b"], 1);
    await kv.set(["a,b"], 2);
    await kv.set(["a/b"], 3);
    expect(await kv.get(["a", "b"])).toBe(1);
    expect(await kv.get(["a,b"])).toBe(2);
    expect(await kv.get(["a/b"])).toBe(3);
  });

  it("delete removes the key and is a no-op when absent", async () => {
    await kv.set(["k"], "v");
    await kv.delete(["k"]);
    await kv.delete(["k"]);
    expect(await kv.get(["k"])).toBeUndefined();
  });

  it("setting undefined deletes", async () => {
    await kv.set(["k"], "v");
    await kv.set(["k"], undefined);
    expect(await kv.get(["k"])).toBeUndefined();
    expect(await rowCount()).toBe(0);
  });
});

describe("ttl", () => {
  it("an entry is visible until its ttl has passed, then invisible to get, list and cas", async () => {
    await kv.set(["t"], "v", ttl(60));
    clock.advance(59_999);
    expect(await kv.get(["t"])).toBe("v");
    expect(await all(["t"])).toHaveLength(1);
    clock.advance(1);
    expect(await kv.get(["t"])).toBeUndefined();
    expect(await all()).toEqual([]);
    // For cas an expired entry is absent: expecting its old value fails, expecting none succeeds.
    expect(await kv.cas(["t"], "v", "w")).toBe(false);
    expect(await kv.cas(["t"], undefined, "w")).toBe(true);
    expect(await kv.get(["t"])).toBe("w");
  });

  it("accepts ttls in days", async () => {
    await kv.set(["d"], 1, { ttl: duration({ days: 1 }) });
    clock.advance(86_399_000);
    expect(await kv.get(["d"])).toBe(1);
    clock.advance(1000);
    expect(await kv.get(["d"])).toBeUndefined();
  });

  it("expired rows are purged: explicitly, and by set once per purge interval", async () => {
    await kv.set(["a"], 1, ttl(1));
    await kv.set(["b"], 2, ttl(1));
    await kv.set(["c"], 3);
    clock.advance(2000);
    expect(await rowCount()).toBe(3);
    expect(await kv.purgeExpired()).toBe(2);
    expect(await rowCount()).toBe(1);

    const eager = new DbKvStore(database.db, { clock, purgeIntervalMs: 10_000 });
    await eager.set(["x"], 1, ttl(1)); // first set purges (nothing to purge yet)
    clock.advance(2000);
    await eager.set(["y"], 2); // within the interval: no purge
    expect(await rowCount()).toBe(3);
    clock.advance(10_000);
    await eager.set(["z"], 3);
    expect(await rowCount()).toBe(3); // c, y, z
    expect(await eager.get(["x"])).toBeUndefined();
  });

  it("purges in batches", async () => {
    const small = new DbKvStore(database.db, { clock, batchSize: 3, purgeIntervalMs: 1e12 });
    for (let i = 0; i < 10; i++) await small.set(["e", String(i)], i, ttl(1));
    clock.advance(1001);
    expect(await small.purgeExpired()).toBe(10);
    expect(await rowCount()).toBe(0);
  });
});

describe("cas", () => {
  it("swaps only when the current value deep-equals the expected one", async () => {
    expect(await kv.cas(["c"], undefined, { n: 1 })).toBe(true); // absent → insert
    expect(await kv.cas(["c"], undefined, { n: 9 })).toBe(false); // present now
    expect(await kv.cas(["c"], { n: 2 }, { n: 3 })).toBe(false);
    expect(await kv.get(["c"])).toEqual({ n: 1 });
    expect(await kv.cas(["c"], { n: 1 }, { n: 2 })).toBe(true);
    expect(await kv.get(["c"])).toEqual({ n: 2 });
  });

  it("compares structurally: key order is irrelevant, types are not", async () => {
    await kv.set(["c"], { a: 1, b: [1, 2] });
    expect(await kv.cas(["c"], { b: [1, 2], a: 1 }, "ok")).toBe(true);
    expect(await kv.cas(["c"], "1", "no")).toBe(false);
    await kv.set(["n"], 1);
    expect(await kv.cas(["n"], "1", 2)).toBe(false);
    expect(await kv.cas(["n"], 1, 2)).toBe(true);
  });

  it("null is a value: expecting null does not match an absent key, and vice versa", async () => {
    expect(await kv.cas(["z"], null, 1)).toBe(false);
    await kv.set(["z"], null);
    expect(await kv.cas(["z"], undefined, 1)).toBe(false);
    expect(await kv.cas(["z"], null, 1)).toBe(true);
  });

  it("new value undefined deletes (Fedify consumes nonces this way)", async () => {
    await kv.set(["nonce", "abc"], true);
    expect(await kv.cas(["nonce", "abc"], true, undefined)).toBe(true);
    expect(await kv.get(["nonce", "abc"])).toBeUndefined();
    expect(await kv.cas(["nonce", "abc"], true, undefined)).toBe(false);
  });

  it("sets the ttl of the new value", async () => {
    await kv.set(["c"], 1);
    expect(await kv.cas(["c"], 1, 2, ttl(5))).toBe(true);
    clock.advance(5000);
    expect(await kv.get(["c"])).toBeUndefined();
  });

  it("concurrent cas on the same expected value: exactly one wins", async () => {
    await kv.set(["race"], 0);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => kv.cas(["race"], 0, i + 1)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const inserts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => kv.cas(["fresh"], undefined, i)),
    );
    expect(inserts.filter(Boolean)).toHaveLength(1);
  });
});

describe("list", () => {
  beforeEach(async () => {
    await kv.set(["a"], 0);
    await kv.set(["a", "b"], 1);
    await kv.set(["a", "b", "c"], 2);
    await kv.set(["a", "bc"], 3);
    await kv.set(["ab"], 4);
    await kv.set(["a%", "x"], 5);
    await kv.set(["a_", "x"], 6);
    await kv.set(['a"', "x"], 7);
    await kv.set(["a\\", "x"], 8);
    await kv.set(["b"], 9);
  });

  it("with no prefix lists everything", async () => {
    expect((await all()).map((e) => e.value).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("matches whole key elements, the prefix itself included", async () => {
    const byValue = (es: { value: unknown }[]) => es.map((e) => e.value).sort();
    expect(byValue(await all(["a"]))).toEqual([0, 1, 2, 3]);
    expect(byValue(await all(["a", "b"]))).toEqual([1, 2]);
    expect(byValue(await all(["a", "b", "c"]))).toEqual([2]);
    expect(byValue(await all(["a", "b", "c", "d"]))).toEqual([]);
    expect(byValue(await all(["ab"]))).toEqual([4]);
  });

  it("LIKE wildcards and JSON escapes in keys are literal", async () => {
    expect((await all(["a%"])).map((e) => e.value)).toEqual([5]);
    expect((await all(["a_"])).map((e) => e.value)).toEqual([6]);
    expect((await all(['a"'])).map((e) => e.value)).toEqual([7]);
    expect((await all(["a\\"])).map((e) => e.value)).toEqual([8]);
  });

  it("yields keys as arrays", async () => {
    expect(await all(["a", "b", "c"])).toEqual([{ key: ["a", "b", "c"], value: 2 }]);
  });

  it("pages through more entries than one batch", async () => {
    const small = new DbKvStore(database.db, { clock, batchSize: 2 });
    for (let i = 0; i < 7; i++) await small.set(["page", String(i)], i);
    const seen: unknown[] = [];
    for await (const e of small.list(["page"])) seen.push(e.value);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe("inside a transaction scope", () => {
  it("reads and writes through the scope's transaction and rolls back with it", async () => {
    const scope = new TransactionScope();
    const scoped = new DbKvStore(database.db, { clock, scope });
    await scoped.set(["outside"], 1);
    await expect(
      database.db.transaction(async (tx) =>
        scope.run(tx as Db, async () => {
          await scoped.set(["inside"], 2);
          expect(await scoped.get(["inside"])).toBe(2);
          expect(await scoped.cas(["outside"], 1, 3)).toBe(true);
          throw new Error("roll back");
        }),
      ),
    ).rejects.toThrow("roll back");
    expect(await scoped.get(["inside"])).toBeUndefined();
    expect(await scoped.get(["outside"])).toBe(1);

    await database.db.transaction(async (tx) =>
      scope.run(tx as Db, async () => {
        await scoped.set(["inside"], 2);
      }),
    );
    expect(await scoped.get(["inside"])).toBe(2);
  });
});
