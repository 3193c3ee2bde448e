import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { hitRateLimit } from "../../src/accounts/rate-limit.ts";
import { createSession, findSessionUser } from "../../src/accounts/sessions.ts";
import { createUser } from "../../src/accounts/users.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { runHousekeeping } from "../../src/housekeeping.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

it("deletes expired sessions and old rate-limit windows, keeps live ones", async () => {
  const { db } = database;
  const clock = fixedClock("2026-03-01T12:00:00Z");
  const user = await createUser(db, clock, {
    username: "keeper",
    email: "keeper@example.org",
    password: "password123",
  });
  const old = await createSession(db, clock, user.id, 60);
  await hitRateLimit(db, clock, "signup:203.0.113.1", { max: 5, windowSeconds: 3600 });
  clock.advance(2 * 86400_000);
  const live = await createSession(db, clock, user.id, 60);
  await hitRateLimit(db, clock, "signup:203.0.113.2", { max: 5, windowSeconds: 3600 });

  await runHousekeeping({ config: testConfig(), database, clock });

  const sessions = await queryRows<{ n: string }>(
    db,
    sql`select count(*)::text as n from sessions`,
  );
  expect(sessions[0]?.n).toBe("1");
  expect(await findSessionUser(db, clock, live.token)).not.toBeNull();
  expect(await findSessionUser(db, clock, old.token)).toBeNull();
  const keys = await queryRows<{ key: string }>(db, sql`select key from rate_limits`);
  expect(keys.map((k) => k.key)).toEqual(["signup:203.0.113.2"]);
});
