import { createRestAPIClient } from "masto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import type { Clock } from "../../src/config/clock.ts";
import { findRemoteActorByUri, upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { createTestUser } from "../helpers/mastodon.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";

/*
 * Remote accounts' followers, following and statuses counts in the Mastodon API: the totalItems
 * of the collections a plain Fedify server (standing in for Mastodon, in secure mode) publishes,
 * stored with the actor, refreshed with it, and 0 only where the server publishes none.
 */

let now = Date.now();
const clock: Clock = { now: () => new Date(now) };
let instance: TestInstance;
let plain: PlainFedify;
let masto: ReturnType<typeof createRestAPIClient>;

beforeAll(async () => {
  [instance, plain] = await Promise.all([
    startTestInstance({}, { clock }),
    startPlainFedify({ secure: true }),
  ]);
  plain.addUser("counted", { totals: { followers: 12, following: 3, statuses: 45 } });
  plain.addUser("quiet");
  const { database } = instance.deps;
  const user = await createTestUser(instance, "reader");
  const { app } = await registerApp(database.db, clock, {
    name: "Counts app",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: "read write follow",
  });
  const { token } = await issueOAuthToken(database.db, clock, app, user.id, ["read", "write"]);
  masto = createRestAPIClient({ url: instance.origin, accessToken: token });
}, 60_000);
afterAll(async () => {
  await Promise.all([instance?.stop(), plain?.stop()]);
});

const resolveAccount = async (handle: string) => {
  const found = await masto.v2.search.list({ q: handle, resolve: true, type: "accounts" });
  expect(found.accounts).toHaveLength(1);
  return found.accounts[0]!;
};

it("shows the totals a remote server publishes, refreshes them with the actor, and 0 where it publishes none", async () => {
  const counted = await resolveAccount(`@counted@${plain.host}`);
  expect(counted).toMatchObject({
    acct: `counted@${plain.host}`,
    followersCount: 12,
    followingCount: 3,
    statusesCount: 45,
  });
  expect(await masto.v1.accounts.$select(counted.id).fetch()).toMatchObject({
    followersCount: 12,
    followingCount: 3,
    statusesCount: 45,
  });

  // A post's author carries the same counts (statuses are read with their authors in one query).
  const note = plain.addNote("counted", "<p>Counted note</p>");
  const byUrl = await masto.v2.search.list({ q: note, resolve: true, type: "statuses" });
  expect(byUrl.statuses[0]?.account).toMatchObject({ id: counted.id, followersCount: 12 });

  // No collections published (and an outbox that answers 404): unknown, stored as null, shown 0.
  const quiet = await resolveAccount(`@quiet@${plain.host}`);
  expect(quiet).toMatchObject({ followersCount: 0, followingCount: 0, statusesCount: 0 });
  const quietRow = await findRemoteActorByUri(instance.deps.database.db, plain.actorUri("quiet"));
  expect(quietRow).toMatchObject({
    followersCount: null,
    followingCount: null,
    statusesCount: null,
  });

  // A day later the cached actor is stale: the next look-up fetches it and its new totals.
  plain.addUser("counted", { totals: { followers: 13, following: 4, statuses: 46 } });
  now += 25 * 3600 * 1000;
  expect(await resolveAccount(`@counted@${plain.host}`)).toMatchObject({
    id: counted.id,
    followersCount: 13,
    followingCount: 4,
    statusesCount: 46,
  });
});

it("keeps the stored counts when an actor is stored without a fetch of its collections", async () => {
  const { db } = instance.deps.database;
  const row = (await findRemoteActorByUri(db, plain.actorUri("counted")))!;
  expect(row.followersCount).toBe(13);
  // What an inbound activity stores when its actor came embedded: no counts looked at.
  await upsertRemoteActor(db, clock, {
    uri: row.uri,
    type: "Person",
    handle: row.handle,
    name: "Counted, renamed",
    summaryHtml: "",
    url: row.url,
    iconUrl: null,
    inboxUrl: row.inboxUrl,
    sharedInboxUrl: row.sharedInboxUrl,
    followersUrl: row.followersUrl,
    paymentUrl: null,
  });
  expect(await findRemoteActorByUri(db, row.uri)).toMatchObject({
    name: "Counted, renamed",
    followersCount: 13,
    followingCount: 4,
    statusesCount: 46,
  });
  // A server's absurd total is not believed: unknown, not stored.
  await upsertRemoteActor(db, clock, {
    uri: row.uri,
    type: "Person",
    handle: row.handle,
    name: "Counted",
    summaryHtml: "",
    url: row.url,
    iconUrl: null,
    inboxUrl: row.inboxUrl,
    sharedInboxUrl: row.sharedInboxUrl,
    followersUrl: row.followersUrl,
    paymentUrl: null,
    counts: { followers: -1, following: 2 ** 40, statuses: 1.5 },
  });
  expect(await findRemoteActorByUri(db, row.uri)).toMatchObject({
    followersCount: null,
    followingCount: null,
    statusesCount: null,
  });
});
