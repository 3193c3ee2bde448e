// accountStats (src/social/account-stats.ts): the counts a profile and a star's Status show. Live
// posts and the newest one's time come from one scan of the user's posts (docs/adr/0039); held
// here to what they mean: deleted posts count for neither, no posts is 0 and no time.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { accountStats } from "../../src/social/account-stats.ts";
import { noFederation } from "../../src/social/ports.ts";
import { createPost } from "../../src/social/posts.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
const config = testConfig({ ORIGIN: "http://localhost:8080" });
const clock = fixedClock("2026-03-10T12:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

describe("accountStats", () => {
  it("counts live posts and gives the newest live one's time", async () => {
    const social = { db, clock, config, federation: noFederation };
    const author = await makeUser(db, "stats_author");
    const ids: bigint[] = [];
    for (const content of ["one", "two", "three"]) {
      const made = await createPost(social, author, { content });
      if (!made.ok) throw made.error;
      ids.push(made.value.id);
    }
    const at = ["2026-03-01T10:00:00.123Z", "2026-03-05T10:00:00.456Z", "2026-03-09T10:00:00Z"];
    for (const [i, id] of ids.entries())
      await queryRows(
        db,
        sql`update statuses set published_at = ${at[i]!}::timestamptz where id = ${id}::int8`,
      );
    // The newest is deleted: the count and the time are the live posts'.
    await queryRows(db, sql`update statuses set deleted_at = now() where id = ${ids[2]!}::int8`);
    expect(await accountStats(db, author)).toEqual({
      followers: 0,
      following: 0,
      statuses: 2,
      lastStatusAt: new Date(at[1]!),
    });
    expect(await accountStats(db, await makeUser(db, "stats_nobody"))).toEqual({
      followers: 0,
      following: 0,
      statuses: 0,
      lastStatusAt: null,
    });
  });
});
