import { afterAll, beforeAll, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import { type App, createApp } from "../../src/app.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

/*
 * Accounts, timelines and search of the Mastodon API between two local users (in process; the
 * same with a remote account runs in test/mastodon/clients.test.ts).
 */

let database: Database;
let app: App;
let ann: number;
let ben: number;
const tokens: Record<string, string> = {};
const ORIGIN = "http://localhost:8080";

beforeAll(async () => {
  database = await createTestDatabase();
  const clock = fixedClock("2026-05-15T12:00:00Z");
  const config = testConfig({ ORIGIN, APP_RATE_LIMIT: "100000/60" });
  app = createApp({ config, database, clock });
  ann = await makeUser(database.db, "ann_acc");
  ben = await makeUser(database.db, "ben_acc");
  const { app: oauthApp } = await registerApp(database.db, clock, {
    name: "Accounts app",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: "read write follow",
  });
  tokens.ann = (
    await issueOAuthToken(database.db, clock, oauthApp, ann, ["read", "write", "follow"])
  ).token;
  tokens.ben = (
    await issueOAuthToken(database.db, clock, oauthApp, ben, ["read", "write", "follow"])
  ).token;
});
afterAll(async () => {
  await database?.close();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await app.fetch(
    new Request(`${ORIGIN}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    }),
  );
  // biome-ignore lint/suspicious/noExplicitAny: JSON as the API answers it
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

it("shows, edits, follows, lists and finds accounts; timelines follow the follows", async () => {
  const me = await call("PATCH", "/api/v1/accounts/update_credentials", tokens.ann, {
    display_name: "Ann A.",
    note: "I flattr things.",
  });
  expect(me.json).toMatchObject({ display_name: "Ann A.", note: "<p>I flattr things.</p>" });
  expect(me.json.source.note).toBe("I flattr things.");

  const looked = await call("GET", "/api/v1/accounts/lookup?acct=ben_acc");
  expect(looked.json.id).toBe(String(ben));
  expect((await call("GET", "/api/v1/accounts/lookup?acct=ben_acc@localhost:8080")).json.id).toBe(
    String(ben),
  );
  expect((await call("GET", "/api/v1/accounts/lookup?acct=nobody")).status).toBe(404);
  expect((await call("GET", `/api/v1/accounts/${ann}`)).json.display_name).toBe("Ann A.");
  expect((await call("GET", "/api/v1/accounts/99999999")).status).toBe(404);

  const post = (await call("POST", "/api/v1/statuses", tokens.ben, { status: "Ben writes" })).json;
  const byBen = await call("GET", `/api/v1/accounts/${ben}/statuses`);
  expect(byBen.json.map((s: { id: string }) => s.id)).toEqual([post.id]);
  expect(byBen.headers.get("link")).toContain(`max_id=${post.id}`);

  // Not followed yet: Ben's post is not on Ann's home timeline, but on the public one.
  expect((await call("GET", "/api/v1/timelines/home", tokens.ann)).json).toEqual([]);
  const local = await call("GET", "/api/v1/timelines/public?local=true");
  expect(local.json.map((s: { id: string }) => s.id)).toContain(post.id);
  expect((await call("GET", "/api/v1/timelines/public?remote=true")).json).toEqual([]);

  const rel = await call("POST", `/api/v1/accounts/${ben}/follow`, tokens.ann);
  expect(rel.json).toMatchObject({ id: String(ben), following: true, followed_by: false });
  const rels = await call(
    "GET",
    `/api/v1/accounts/relationships?id[]=${ben}&id[]=${ann}&id[]=abc`,
    tokens.ann,
  );
  expect(rels.json.map((r: { id: string }) => r.id)).toEqual([String(ben), String(ann)]);
  const fromBen = await call("GET", `/api/v1/accounts/relationships?id=${ann}`, tokens.ben);
  expect(fromBen.json[0]).toMatchObject({ following: false, followed_by: true });

  const home = await call("GET", "/api/v1/timelines/home", tokens.ann);
  expect(home.json.map((s: { id: string }) => s.id)).toEqual([post.id]);
  expect(home.json[0].account.acct).toBe("ben_acc");

  const following = await call("GET", `/api/v1/accounts/${ann}/following`);
  expect(following.json.map((a: { id: string }) => a.id)).toEqual([String(ben)]);
  const followers = await call("GET", `/api/v1/accounts/${ben}/followers`);
  expect(followers.json.map((a: { id: string }) => a.id)).toEqual([String(ann)]);
  expect((await call("GET", `/api/v1/accounts/${ben}`)).json.followers_count).toBe(1);

  const found = await call("GET", "/api/v1/accounts/search?q=ben", tokens.ann);
  expect(found.json.map((a: { id: string }) => a.id)).toEqual([String(ben)]);
  const v2 = await call(
    "GET",
    "/api/v2/search?q=%40ben_acc%40localhost%3A8080&resolve=true",
    tokens.ann,
  );
  expect(v2.json.accounts.map((a: { id: string }) => a.id)).toEqual([String(ben)]);
  const byUrl = await call(
    "GET",
    `/api/v2/search?q=${encodeURIComponent(post.uri)}&resolve=true&type=statuses`,
    tokens.ann,
  );
  expect(byUrl.json.statuses.map((s: { id: string }) => s.id)).toEqual([post.id]);
  expect(byUrl.json.accounts).toEqual([]);
  expect((await call("GET", "/api/v2/search?q=ben", tokens.ann)).json.hashtags).toEqual([]);

  const after = await call("POST", `/api/v1/accounts/${ben}/unfollow`, tokens.ann);
  expect(after.json.following).toBe(false);
  expect((await call("GET", "/api/v1/timelines/home", tokens.ann)).json).toEqual([]);
});
