import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import type { Scope } from "../../src/accounts/oauth/scopes.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import { createToken, revokeToken } from "../../src/accounts/tokens.ts";
import { type App, createApp } from "../../src/app.ts";
import { type Clock, fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { follow } from "../../src/social/follows.ts";
import { noFederation } from "../../src/social/ports.ts";
import { createPost } from "../../src/social/posts.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

/*
 * The star's one-statement path (docs/adr/0028): a user's token and a well-formed status id are
 * checked, read, flattred and answered by favourite_request in one statement. Its answer must be
 * the Status every other route answers, its visibility test that of visibleTo(), its refusals
 * those of the ordinary door, and it must record the app and count only active flattrs.
 */

let database: Database;
let app: App;
let config: Config;
let clock: Clock;
let alice: number;
let bob: number;
let carol: number;
let appId: number;
const tokens: Record<string, string> = {};
const ORIGIN = "http://localhost:8080";

beforeAll(async () => {
  database = await createTestDatabase();
  clock = fixedClock("2026-05-15T12:00:00Z");
  config = testConfig({ ORIGIN, FLATTR_RATE_LIMIT: "4/60" });
  app = createApp({ config, database, clock });
  alice = await makeUser(database.db, "alice_fp");
  bob = await makeUser(database.db, "bob_fp");
  carol = await makeUser(database.db, "carol_fp");
  const { app: oauthApp } = await registerApp(database.db, clock, {
    name: "Fast star app",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: "read write follow",
  });
  appId = oauthApp.id;
  const issue = async (user: number, scopes: Scope[]) =>
    (await issueOAuthToken(database.db, clock, oauthApp, user, scopes)).token;
  tokens.alice = await issue(alice, ["read", "write"]);
  tokens.bob = await issue(bob, ["read", "write"]);
  tokens.bobStars = await issue(bob, ["write:favourites"]);
  tokens.bobRead = await issue(bob, ["read"]);
  tokens.carol = await issue(carol, ["read", "write:favourites"]);
  tokens.appOnly = (await issueOAuthToken(database.db, clock, oauthApp, null, ["read"])).token;
  const pat = await createToken(database.db, clock, bob, { name: "revoked" });
  await revokeToken(database.db, clock, bob, pat.accessToken.id);
  tokens.revoked = pat.token;
  for (const payer of [bob, carol]) {
    await deposit(database.db, config, payer, 1000n);
    await setBudget(database.db, clock, config, payer, 500n);
  }
});
afterAll(async () => {
  await database?.close();
});

async function call(method: string, path: string, token?: string) {
  const res = await app.fetch(
    new Request(`${ORIGIN}${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }),
  );
  // biome-ignore lint/suspicious/noExplicitAny: JSON as the API answers it
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

const social = () => ({ db: database.db, clock, config, federation: noFederation });

async function postWithUri(author: number, content: string, inReplyTo?: string) {
  const made = await createPost(social(), author, { content, inReplyTo });
  if (!made.ok) throw made.error;
  return made.value;
}
const post = async (author: number, content: string) => (await postWithUri(author, content)).id;

async function flattrsOf(statusId: bigint) {
  return queryRows<{ payer_id: string; app_id: string | null; withdrawn: boolean }>(
    database.db,
    sql`select f.payer_id::text as payer_id, f.app_id::text as app_id,
               f.withdrawn_at is not null as withdrawn
          from flattrs f join statuses s on s.thing_id = f.thing_id
         where s.id = ${statusId}::int8 order by f.id`,
  );
}

const setVisibility = (id: bigint, visibility: string) =>
  queryRows(
    database.db,
    sql`update statuses set visibility = ${visibility} where id = ${id}::int8`,
  );

describe("the star's one statement", () => {
  it("answers the Status every route answers, records the app, and is done the second time", async () => {
    // Mentions, a reply and a follower: every part of the Status the statement reads itself.
    const { id, uri } = await postWithUri(alice, "Star me, @carol_fp");
    await postWithUri(carol, "A reply", uri);
    const follows = await follow(social(), carol, "@alice_fp");
    expect(follows.ok).toBe(true);

    const star = await call("POST", `/api/v1/statuses/${id}/favourite`, tokens.bob);
    expect(star.status).toBe(200);
    expect(star.json).toMatchObject({ favourited: true, favourites_count: 1 });
    expect(star.json.mentions.map((m: { username: string }) => m.username)).toEqual(["carol_fp"]);
    expect(star.json.account.followers_count).toBe(1);
    expect(star.json.replies_count).toBe(1);
    const read = await call("GET", `/api/v1/statuses/${id}`, tokens.bob);
    expect(star.json).toEqual(read.json);
    // The star answers whole (ADR 0040): with every header the app's steps give a JSON answer.
    const headers = (h: Headers) =>
      [...h].filter(([name]) => name !== "content-length").map(([n, v]) => `${n}: ${v}`);
    expect(headers(star.headers)).toEqual(headers(read.headers));
    expect(headers(star.headers)).toContain("x-frame-options: DENY");
    expect(await flattrsOf(id)).toEqual([
      { payer_id: String(bob), app_id: String(appId), withdrawn: false },
    ]);

    const again = await call("POST", `/api/v1/statuses/${id}/favourite`, tokens.bob);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(read.json);
    expect(await flattrsOf(id)).toHaveLength(1);

    // A withdrawn flattr does not count; a new star in the same period counts once.
    await call("POST", `/api/v1/statuses/${id}/unfavourite`, tokens.bob);
    const restar = await call("POST", `/api/v1/statuses/${id}/favourite`, tokens.bobStars);
    expect(restar.json).toMatchObject({ favourited: true, favourites_count: 1 });
    const carolStar = await call("POST", `/api/v1/statuses/${id}/favourite`, tokens.carol);
    expect(carolStar.json).toMatchObject({ favourited: true, favourites_count: 2 });
    expect((await flattrsOf(id)).map((f) => f.withdrawn)).toEqual([true, false, false]);
  });

  it("checks the token first, as every route does, and writes nothing when it refuses", async () => {
    const id = await post(alice, "Tokens");
    const path = `/api/v1/statuses/${id}/favourite`;
    const revoked = await call("POST", path, tokens.revoked);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get("www-authenticate")).toMatch(/invalid_token/);
    expect((await call("POST", "/api/v1/statuses/1x/favourite", tokens.revoked)).status).toBe(401);
    const readOnly = await call("POST", path, tokens.bobRead);
    expect(readOnly.status).toBe(403);
    expect(readOnly.headers.get("www-authenticate")).toMatch(/insufficient_scope/);
    expect((await call("POST", path, tokens.appOnly)).status).toBe(403);
    expect((await call("POST", path)).status).toBe(401);
    const own = await call("POST", path, tokens.alice);
    expect(own.status).toBe(422);
    expect(own.json.error).toBe("This is your own post: you cannot flattr it.");
    expect((await call("POST", "/api/v1/statuses/999999/favourite", tokens.bob)).status).toBe(404);
    expect(await flattrsOf(id)).toEqual([]);
  });

  it("reads the status as the payer may: followers-only and direct posts are a 404 to others", async () => {
    const priv = await post(carol, "Followers only");
    await setVisibility(priv, "private");
    const hidden = await call("POST", `/api/v1/statuses/${priv}/favourite`, tokens.bob);
    expect(hidden.status).toBe(404);
    expect(await flattrsOf(priv)).toEqual([]);
    expect((await follow(social(), bob, "@carol_fp")).ok).toBe(true);
    expect((await call("POST", `/api/v1/statuses/${priv}/favourite`, tokens.bob)).status).toBe(200);

    const direct = await post(alice, "Only for @bob_fp");
    await setVisibility(direct, "direct");
    expect((await call("POST", `/api/v1/statuses/${direct}/favourite`, tokens.carol)).status).toBe(
      404,
    );
    expect(await flattrsOf(direct)).toEqual([]);
    const seen = await call("POST", `/api/v1/statuses/${direct}/favourite`, tokens.bob);
    expect(seen.status).toBe(200);
    expect(seen.json.visibility).toBe("direct");

    const gone = await post(alice, "Deleted");
    await queryRows(
      database.db,
      sql`update statuses set deleted_at = now() where id = ${gone}::int8`,
    );
    expect((await call("POST", `/api/v1/statuses/${gone}/favourite`, tokens.bob)).status).toBe(404);
  });

  it("refuses what the flattr refuses with the door's answer: 429 with Retry-After", async () => {
    // FLATTR_RATE_LIMIT is 4 a minute here, and the fixed clock never lets the minute pass.
    let last = { status: 200, json: {} as Record<string, unknown>, headers: new Headers() };
    const made: bigint[] = [];
    for (let k = 0; k < 6 && last.status === 200; k++) {
      made.push(await post(alice, `limit ${k}`));
      last = await call("POST", `/api/v1/statuses/${made.at(-1)}/favourite`, tokens.carol);
    }
    expect(last.status).toBe(429);
    expect(last.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(last.json.error).toMatch(/please wait/);
    expect(await flattrsOf(made.at(-1)!)).toEqual([]);
    expect(await checkLedger(database.db)).toEqual([]);
  });
});
