// verifyToken reads the token and its user and stamps last_used_at (at most once a minute per
// token) in one statement; these are the results the two statements it replaced gave.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createToken, listTokens, revokeToken, verifyToken } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

it("resolves a token to its user and scopes, and nothing else to anyone", async () => {
  const clock = fixedClock("2026-04-01T10:00:00Z");
  const u = await makeUser(db, `tok_${Date.now()}`);
  await db.execute(sql`update users set display_name = 'Tok Én', is_admin = true where id = ${u}`);
  const { token, accessToken } = await createToken(db, clock, u, {
    name: "t",
    scopes: ["write", "read"],
  });
  const ro = await createToken(db, clock, u, { name: "ro", scopes: ["read"] });
  const [user] = await queryRows<{ username: string }>(
    db,
    sql`select username from users where id = ${u}`,
  );
  expect(await verifyToken(db, clock, token)).toEqual({
    tokenId: accessToken.id,
    scopes: ["read", "write"],
    appId: null,
    id: u,
    username: user!.username,
    displayName: "Tok Én",
    isAdmin: true,
  });
  expect((await verifyToken(db, clock, ro.token))?.scopes).toEqual(["read"]);
  expect(
    await verifyToken(db, clock, `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`),
  ).toBeNull();
  expect(await verifyToken(db, clock, "ffpat_short")).toBeNull();
  expect(await revokeToken(db, clock, u, accessToken.id)).toBe(true);
  expect(await verifyToken(db, clock, token)).toBeNull();
  expect(await verifyToken(db, clock, ro.token)).not.toBeNull();
});

it("stamps last_used_at on first use and then at most once a minute", async () => {
  const clock = fixedClock("2026-04-02T10:00:00Z");
  const u = await makeUser(db);
  const { token, accessToken } = await createToken(db, clock, u, { name: "stamp" });
  const lastUsed = async () =>
    (await listTokens(db, u)).find((t) => t.id === accessToken.id)!.lastUsedAt?.toISOString();
  expect(await lastUsed()).toBeUndefined();
  await verifyToken(db, clock, token);
  expect(await lastUsed()).toBe("2026-04-02T10:00:00.000Z");
  clock.advance(59_999);
  await verifyToken(db, clock, token);
  expect(await lastUsed()).toBe("2026-04-02T10:00:00.000Z");
  clock.advance(1);
  await verifyToken(db, clock, token);
  expect(await lastUsed()).toBe("2026-04-02T10:01:00.000Z");
  // A clock behind the stamp (another process) does not move it back.
  clock.set("2026-04-02T09:00:00Z");
  await verifyToken(db, clock, token);
  expect(await lastUsed()).toBe("2026-04-02T10:01:00.000Z");
  // A revoked token is neither resolved nor stamped.
  await revokeToken(db, clock, u, accessToken.id);
  clock.set("2026-04-02T11:00:00Z");
  expect(await verifyToken(db, clock, token)).toBeNull();
  expect(await lastUsed()).toBe("2026-04-02T10:01:00.000Z");
});
