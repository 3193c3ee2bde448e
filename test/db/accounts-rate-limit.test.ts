import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  hitRateLimit,
  loginRateKey,
  pruneRateLimits,
  resetRateLimit,
} from "../../src/accounts/rate-limit.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const limit = { max: 3, windowSeconds: 3600 };

it("allows max hits per fixed window, then refuses until the next window", async () => {
  const clock = fixedClock("2026-03-10T12:10:00Z");
  const counts = [];
  for (let i = 0; i < 5; i++) counts.push(await hitRateLimit(database.db, clock, "k1", limit));
  expect(counts.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
  expect(counts.map((r) => r.count)).toEqual([1, 2, 3, 4, 5]);
  // The window is 12:00–13:00: 50 minutes left.
  expect(counts[4]!.retryAfterSeconds).toBe(3000);
  expect((await hitRateLimit(database.db, clock, "other", limit)).allowed).toBe(true);

  clock.set("2026-03-10T12:59:59Z");
  expect((await hitRateLimit(database.db, clock, "k1", limit)).allowed).toBe(false);
  clock.set("2026-03-10T13:00:00Z");
  const next = await hitRateLimit(database.db, clock, "k1", limit);
  expect(next).toMatchObject({ allowed: true, count: 1, retryAfterSeconds: 3600 });
});

it("a newer window stored by another process is not reset by an older clock", async () => {
  const ahead = fixedClock("2026-03-10T15:00:01Z");
  const behind = fixedClock("2026-03-10T14:59:59Z");
  await hitRateLimit(database.db, ahead, "skew", limit);
  expect((await hitRateLimit(database.db, behind, "skew", limit)).count).toBe(2);
});

it("reset forgets a key", async () => {
  const clock = fixedClock("2026-03-10T12:10:00Z");
  const key = loginRateKey("192.0.2.1", " Alice ");
  expect(key).toBe("login:192.0.2.1:alice");
  expect(loginRateKey("192.0.2.1", 7)).toBe("login:192.0.2.1:#7");
  for (let i = 0; i < 4; i++) await hitRateLimit(database.db, clock, key, limit);
  await resetRateLimit(database.db, key);
  expect((await hitRateLimit(database.db, clock, key, limit)).count).toBe(1);
});

it("counts every one of many concurrent hits", async () => {
  const clock = fixedClock("2026-03-10T12:10:00Z");
  const results = await Promise.all(
    Array.from({ length: 20 }, () => hitRateLimit(database.db, clock, "burst", limit)),
  );
  expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  expect(results.filter((r) => r.allowed)).toHaveLength(3);
});

it("prunes old windows", async () => {
  const clock = fixedClock("2026-03-20T00:00:00Z");
  await hitRateLimit(database.db, clock, "fresh", limit);
  await pruneRateLimits(database.db, clock, 86400);
  const rows = await queryRows<{ key: string }>(database.db, sql`select key from rate_limits`);
  expect(rows.map((r) => r.key)).toEqual(["fresh"]);
});
