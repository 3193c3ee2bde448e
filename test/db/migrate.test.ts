import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createTestDatabase } from "../helpers/db.ts";

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
});
