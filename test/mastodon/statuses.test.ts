import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import type { Scope } from "../../src/accounts/oauth/scopes.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import { createToken } from "../../src/accounts/tokens.ts";
import { type App, createApp } from "../../src/app.ts";
import { type Clock, fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

/*
 * The statuses and favourites of the Mastodon API on one instance (in process): writing with an
 * Idempotency-Key, reading, threads, editing, deleting, and the star as a flattr with each of
 * its refusals as a 422 a person can read. test/mastodon/clients.test.ts runs the same through
 * real client libraries and a second instance.
 */

let database: Database;
let app: App;
let config: Config;
let clock: Clock;
let alice: number;
let bob: number;
const tokens: Record<string, string> = {};
const ORIGIN = "http://localhost:8080";

beforeAll(async () => {
  database = await createTestDatabase();
  clock = fixedClock("2026-05-15T12:00:00Z");
  config = testConfig({ ORIGIN, APP_RATE_LIMIT: "100000/60", MAX_FLATTRS_PER_PERIOD: "2" });
  app = createApp({ config, database, clock });
  alice = await makeUser(database.db, "alice_st");
  bob = await makeUser(database.db, "bob_st");
  const { app: oauthApp } = await registerApp(database.db, clock, {
    name: "Star app",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: "read write follow",
  });
  const issue = async (user: number, scopes: Scope[]) =>
    (await issueOAuthToken(database.db, clock, oauthApp, user, scopes)).token;
  tokens.alice = await issue(alice, ["read", "write"]);
  tokens.bob = await issue(bob, ["read", "write"]);
  tokens.bobRead = await issue(bob, ["read"]);
  tokens.bobPat = (await createToken(database.db, clock, bob, { name: "pat" })).token;
});
afterAll(async () => {
  await database?.close();
});

async function call(
  method: string,
  path: string,
  token?: string,
  body?: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const res = await app.fetch(
    new Request(`${ORIGIN}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    }),
  );
  const json = res.status === 204 ? null : await res.json();
  // biome-ignore lint/suspicious/noExplicitAny: JSON as the API answers it
  return { status: res.status, json: json as any, headers: res.headers };
}

describe("statuses", () => {
  it("writes once per Idempotency-Key, reads, threads, edits and deletes", async () => {
    const key = { "Idempotency-Key": "abc-123" };
    const first = await call("POST", "/api/v1/statuses", tokens.alice, { status: "Hello" }, key);
    expect(first.status).toBe(200);
    const again = await call("POST", "/api/v1/statuses", tokens.alice, { status: "Hello" }, key);
    expect(again.json.id).toBe(first.json.id);
    const other = await call("POST", "/api/v1/statuses", tokens.alice, { status: "Hello" });
    expect(other.json.id).not.toBe(first.json.id);
    expect(BigInt(other.json.id)).toBeGreaterThan(2n ** 40n);

    const s = first.json;
    expect(s).toMatchObject({
      content: "<p>Hello</p>",
      visibility: "public",
      favourited: false,
      favourites_count: 0,
      in_reply_to_id: null,
      media_attachments: [],
      mentions: [],
      tags: [],
      reblog: null,
      account: { username: "alice_st", acct: "alice_st", id: String(alice) },
    });
    expect(s.uri).toMatch(/^http:\/\/localhost:8080\/users\/alice_st\//);

    // Public statuses are readable without a token.
    expect((await call("GET", `/api/v1/statuses/${s.id}`)).json.id).toBe(s.id);

    const reply = await call("POST", "/api/v1/statuses", tokens.bob, {
      status: "@alice_st hi back",
      in_reply_to_id: s.id,
    });
    expect(reply.json.in_reply_to_id).toBe(s.id);
    expect(reply.json.in_reply_to_account_id).toBe(String(alice));
    expect(reply.json.mentions).toEqual([
      expect.objectContaining({ id: String(alice), acct: "alice_st" }),
    ]);
    const context = await call("GET", `/api/v1/statuses/${reply.json.id}/context`, tokens.bob);
    expect(context.json.ancestors.map((x: { id: string }) => x.id)).toEqual([s.id]);
    const parent = await call("GET", `/api/v1/statuses/${s.id}/context`);
    expect(parent.json.descendants.map((x: { id: string }) => x.id)).toEqual([reply.json.id]);
    expect((await call("GET", `/api/v1/statuses/${s.id}`)).json.replies_count).toBe(1);

    const edited = await call("PUT", `/api/v1/statuses/${s.id}`, tokens.alice, {
      status: "Hello, edited",
    });
    expect(edited.json.content).toBe("<p>Hello, edited</p>");
    expect(edited.json.edited_at).not.toBeNull();
    const source = await call("GET", `/api/v1/statuses/${s.id}/source`, tokens.alice);
    expect(source.json.text).toBe("Hello, edited");
    expect(
      (await call("PUT", `/api/v1/statuses/${s.id}`, tokens.bob, { status: "x" })).status,
    ).toBe(404);

    const gone = await call("DELETE", `/api/v1/statuses/${other.json.id}`, tokens.alice);
    expect(gone.json.text).toBe("Hello");
    expect((await call("GET", `/api/v1/statuses/${other.json.id}`)).status).toBe(404);
  });

  it("refuses what it cannot post with a JSON 422 saying so", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ status: "x", media_ids: ["1"] }, /Media attachments are not supported/],
      [{ status: "x", poll: { options: ["a", "b"], expires_in: 600 } }, /Polls are not supported/],
      [{ status: "x", visibility: "private" }, /Only public posts/],
      [{ status: "x", spoiler_text: "cw" }, /Content warnings are not supported/],
      [{ status: "" }, /can't be blank/],
    ];
    for (const [body, message] of cases) {
      const res = await call("POST", "/api/v1/statuses", tokens.alice, body);
      expect(res.status).toBe(422);
      expect(res.json.error).toMatch(message);
    }
    const boost = await call("POST", "/api/v1/statuses/1/reblog", tokens.alice);
    expect(boost.status).toBe(422);
    expect(boost.json.error).toMatch(/Boosts/);
    const media = await call("POST", "/api/v2/media", tokens.alice, {});
    expect(media.status).toBe(422);
  });
});

describe("favourite = flattr", () => {
  it("flattrs, lists, unflattrs, and refuses with sentences", async () => {
    const post = (await call("POST", "/api/v1/statuses", tokens.alice, { status: "Star me" })).json;
    const path = `/api/v1/statuses/${post.id}`;

    const own = await call("POST", `${path}/favourite`, tokens.alice);
    expect(own.status).toBe(422);
    expect(own.json.error).toBe("This is your own post: you cannot flattr it.");

    const noBudget = await call("POST", `${path}/favourite`, tokens.bob);
    expect(noBudget.status).toBe(422);
    expect(noBudget.json.error).toMatch(/Set a monthly budget/);

    const readOnly = await call("POST", `${path}/favourite`, tokens.bobRead);
    expect(readOnly.status).toBe(403);

    await deposit(database.db, config, bob, 1000n);
    await setBudget(database.db, clock, config, bob, 500n);
    const star = await call("POST", `${path}/favourite`, tokens.bob);
    expect(star.status).toBe(200);
    expect(star.json).toMatchObject({ id: post.id, favourited: true, favourites_count: 1 });
    // A second star in the same period is done, not an error.
    expect((await call("POST", `${path}/favourite`, tokens.bob)).json.favourited).toBe(true);
    expect((await call("GET", path, tokens.alice)).json).toMatchObject({
      favourited: false,
      favourites_count: 1,
    });

    const by = await call("GET", `${path}/favourited_by`);
    expect(by.json.map((a: { id: string }) => a.id)).toEqual([String(bob)]);

    const favs = await call("GET", "/api/v1/favourites", tokens.bob);
    expect(favs.json.map((s: { id: string }) => s.id)).toEqual([post.id]);
    expect(favs.headers.get("link")).toMatch(/rel="next"/);
    expect((await call("GET", "/api/v1/favourites", tokens.alice)).json).toEqual([]);

    const unstar = await call("POST", `${path}/unfavourite`, tokens.bob);
    expect(unstar.json).toMatchObject({ favourited: false, favourites_count: 0 });
    expect((await call("POST", `${path}/unfavourite`, tokens.bob)).status).toBe(200);
    expect((await call("GET", "/api/v1/favourites", tokens.bob)).json).toEqual([]);

    // The period limit (2 in this test): the third distinct star is refused with its reason.
    const more = [];
    for (const text of ["one", "two", "three"])
      more.push((await call("POST", "/api/v1/statuses", tokens.alice, { status: text })).json.id);
    expect((await call("POST", `/api/v1/statuses/${more[0]}/favourite`, tokens.bob)).status).toBe(
      200,
    );
    // Personal access tokens work here too (Mastodon's "Development" tokens).
    expect(
      (await call("POST", `/api/v1/statuses/${more[1]}/favourite`, tokens.bobPat)).status,
    ).toBe(200);
    const limit = await call("POST", `/api/v1/statuses/${more[2]}/favourite`, tokens.bob);
    expect(limit.status).toBe(422);
    expect(limit.json.error).toMatch(/limit of 2 flattrs/);

    expect((await call("POST", "/api/v1/statuses/999999/favourite", tokens.bob)).status).toBe(404);
    expect(await checkLedger(database.db)).toEqual([]);
  });
});
