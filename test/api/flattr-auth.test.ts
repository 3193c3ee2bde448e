// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listTokens, revokeToken } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { expectDocumented, makeApp, tokenFor } from "./support.ts";

/*
 * POST /things/{id}/flattr checks a personal access token inside its own database statement (one
 * round trip) and every other request the ordinary way (src/api/routes-things.ts). Both ways must
 * answer alike: same statuses, bodies and WWW-Authenticate, auth before the id, nothing written
 * on a refusal.
 */

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ ORIGIN: "https://flattr.example", TIME_ZONE: "Europe/Berlin" });
const flattrDoc: [string, string] = ["POST", "/things/{id}/flattr"];

async function flattrRows(payer: number): Promise<number> {
  const [r] = await queryRows<{ n: string }>(
    db,
    sql`select count(*)::text as n from flattrs where payer_id = ${payer}::int8`,
  );
  return Number(r!.n);
}

async function answer(res: Response) {
  return {
    status: res.status,
    auth: res.headers.get("www-authenticate"),
    body: await res.json(),
  };
}

it("answers a flattr's token refusals exactly as every other route does, before the id", async () => {
  const clock = fixedClock("2026-07-10T10:00:00Z");
  const { as } = makeApp(database, config, clock);
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  await deposit(db, config, payer, 5000n);
  const O = as(await tokenFor(db, clock, owner));
  const thing = (await (await O.post("/things", { url: "https://o.example/a", title: "A" })).json())
    .id as number;

  // Shaped like a personal token (checked in the flattr statement) or not (checked first).
  const unknown = `ffpat_${"A".repeat(43)}`;
  const invalid = await answer(await as(unknown).get("/me"));
  expect(invalid.status).toBe(401);
  for (const token of [unknown, "nope", "ffpat_short"]) {
    const res = await as(token).post(`/things/${thing}/flattr`);
    await expectDocumented(config, res.clone(), ...flattrDoc);
    expect(await answer(res)).toEqual(invalid);
    // The token is judged before the id: a bad id still answers 401.
    expect(await answer(await as(token).post("/things/abc/flattr"))).toEqual(invalid);
    expect(await answer(await as(token).post("/things/999999/flattr"))).toEqual(invalid);
  }
  const missing = await answer(await as(null).post(`/things/${thing}/flattr`));
  expect(missing).toEqual(await answer(await as(null).get("/me")));
  expect(missing.status).toBe(401);

  // Revoked: refused at once, by the flattr statement too.
  const revoked = await tokenFor(db, clock, payer);
  expect((await as(revoked).get("/me")).status).toBe(200);
  const [newest] = await listTokens(db, payer);
  expect(await revokeToken(db, clock, payer, newest!.id)).toBe(true);
  expect(await answer(await as(revoked).post(`/things/${thing}/flattr`))).toEqual(invalid);

  // Read-only: 403 with the scope named, as PUT /me/budget answers it (a flattr needs
  // write:favourites, which write covers, as the Mastodon star does); the use is still noted.
  const readOnly = await tokenFor(db, clock, payer, ["read"]);
  const forbidden = await answer(await as(readOnly).post(`/things/${thing}/flattr`));
  const budget = await answer(await as(readOnly).put("/me/budget", { amount: "5" }));
  expect(forbidden.status).toBe(403);
  expect(forbidden.body.code).toBe(budget.body.code);
  expect(forbidden.auth).toBe(budget.auth?.replace('scope="write"', 'scope="write:favourites"'));
  expect(forbidden.body.error).toBe('This access token lacks the "write:favourites" scope.');
  const stamped = (await listTokens(db, payer)).find((t) => t.scopes.join() === "read");
  expect(stamped?.lastUsedAt?.toISOString()).toBe("2026-07-10T10:00:00.000Z");
  expect(await flattrRows(payer)).toBe(0);

  // A good token with a bad id: 404, as before.
  const good = as(await tokenFor(db, clock, payer));
  const notFound = await good.post("/things/abc/flattr");
  expect(notFound.status).toBe(404);
  expect((await notFound.json()).code).toBe("not_found");
  expect(await flattrRows(payer)).toBe(0);
});

it("flattrs as the token's user, stamps the token, and refuses what the rules refuse", async () => {
  const clock = fixedClock("2026-07-11T10:00:00Z");
  const { as } = makeApp(database, config, clock);
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  await deposit(db, config, payer, 5000n);
  const O = as(await tokenFor(db, clock, owner));
  const P = as(await tokenFor(db, clock, payer));
  const thing = (await (await O.post("/things", { url: "https://o.example/b", title: "B" })).json())
    .id as number;

  // No budget yet: the flattr rule's refusal, not an auth one.
  let res = await P.post(`/things/${thing}/flattr`);
  expect(res.status).toBe(422);
  expect((await res.json()).code).toBe("no_budget");
  expect((await P.put("/me/budget", { amount: "5.00" })).status).toBe(200);

  res = await P.post(`/things/${thing}/flattr`);
  const body = await expectDocumented(config, res, ...flattrDoc);
  expect(res.status).toBe(201);
  expect(body).toMatchObject({ thing_id: thing, period: "2026-07" });
  const [row] = await queryRows<{ payer_id: string }>(
    db,
    sql`select payer_id::text from flattrs where id = ${body.id}::int8`,
  );
  expect(Number(row!.payer_id)).toBe(payer);
  expect((await listTokens(db, payer))[0]!.lastUsedAt?.toISOString()).toBe(
    "2026-07-11T10:00:00.000Z",
  );

  res = await P.post(`/things/${thing}/flattr`);
  expect(res.status).toBe(422);
  expect((await res.json()).code).toBe("already_flattred");
  // Your own thing, through the same statement.
  res = await O.post(`/things/${thing}/flattr`);
  expect(res.status).toBe(422);
  expect((await res.json()).code).toBe("own_thing");
  expect(await flattrRows(payer)).toBe(1);
});
