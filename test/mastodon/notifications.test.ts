import { createRestAPIClient, MastoHttpError } from "masto";
import generator from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/accounts/tokens.ts";
import { unwrap } from "../../src/errors.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { follow } from "../../src/social/follows.ts";
import { noFederation, type SocialDeps } from "../../src/social/ports.ts";
import { createPost } from "../../src/social/posts.ts";
import { makeUser } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { getJson } from "../helpers/mastodon.ts";

/*
 * Notifications and markers through real clients (masto.js and megalodon) against a listening
 * instance: a flattr of a post, a follow and a mention arrive as notifications; they are listed
 * (filtered, paged by Link), shown, dismissed and cleared; markers are saved and read back.
 */

let instance: TestInstance;
let deps: SocialDeps;
let alice: number;
let bob: number;
let carol: number;
let aliceToken: string;
let postId: bigint;
let mentionId: bigint;

beforeAll(async () => {
  instance = await startTestInstance();
  const { database, clock, config } = instance.deps;
  const db = database.db;
  deps = { db, clock, config, federation: noFederation };
  alice = await makeUser(db, "alice");
  bob = await makeUser(db, "bob");
  carol = await makeUser(db, "carol");
  aliceToken = (await createToken(db, clock, alice, { name: "app" })).token;
  const p = unwrap(await createPost(deps, alice, { content: "Worth a flattr" }));
  postId = p.id;
  unwrap(await follow(deps, carol, "@alice"));
  await setBudget(db, clock, config, bob, 500n);
  await flattr(db, clock, config, bob, p.thingId);
  mentionId = unwrap(await createPost(deps, carol, { content: "@alice hello" })).id;
});
afterAll(async () => {
  await instance?.stop();
});

describe("notifications through masto.js", () => {
  it("lists, filters, pages, shows, dismisses and clears", async () => {
    const client = createRestAPIClient({ url: instance.origin, accessToken: aliceToken });
    const list = await client.v1.notifications.list();
    expect(list.map((n) => [n.type, n.account.username])).toEqual([
      ["mention", "carol"],
      ["favourite", "bob"],
      ["follow", "carol"],
    ]);
    const [mention, favourite, followed] = list;
    expect(mention!.status?.id).toBe(String(mentionId));
    expect(mention!.status?.content).toContain("hello");
    expect(favourite!.status?.id).toBe(String(postId));
    expect(favourite!.status?.favouritesCount).toBe(1);
    expect((favourite as unknown as { flattr: boolean }).flattr).toBe(true);
    expect(followed!.status).toBeUndefined();
    // Ids are numeric strings that sort by time, newest first.
    expect(list.map((n) => BigInt(n.id))).toEqual(
      list.map((n) => BigInt(n.id)).sort((a, b) => (a < b ? 1 : -1)),
    );

    expect(
      (await client.v1.notifications.list({ types: ["follow", "favourite"] })).map((n) => n.type),
    ).toEqual(["favourite", "follow"]);
    expect(
      (await client.v1.notifications.list({ excludeTypes: ["mention"] })).map((n) => n.type),
    ).toEqual(["favourite", "follow"]);

    // Pages of one, following the Link header.
    const pages: string[] = [];
    for await (const page of client.v1.notifications.list({ limit: 1 })) {
      pages.push(...page.map((n) => n.type));
      if (pages.length > 5) break;
    }
    expect(pages).toEqual(["mention", "favourite", "follow"]);

    expect((await client.v1.notifications.$select(favourite!.id).fetch()).type).toBe("favourite");
    expect(await client.v1.notifications.unreadCount.fetch()).toEqual({ count: 3 });

    await client.v1.notifications.$select(mention!.id).dismiss();
    const gone = await client.v1.notifications
      .$select(mention!.id)
      .fetch()
      .catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(MastoHttpError);
    expect((gone as MastoHttpError).statusCode).toBe(404);
    expect((await client.v1.notifications.list()).map((n) => n.type)).toEqual([
      "favourite",
      "follow",
    ]);

    // Markers: where alice stopped reading.
    const saved = await client.v1.markers.create({ notifications: { lastReadId: favourite!.id } });
    expect(saved.notifications?.lastReadId).toBe(favourite!.id);
    expect(await client.v1.notifications.unreadCount.fetch()).toEqual({ count: 0 });
    const read = await client.v1.markers.fetch({ timeline: ["home", "notifications"] });
    expect(read.notifications?.lastReadId).toBe(favourite!.id);
    expect(read.notifications?.version).toBe(0);
    expect(read.home).toBeUndefined();

    await client.v1.notifications.clear();
    expect(await client.v1.notifications.list()).toEqual([]);
    expect(await checkLedger(instance.deps.database.db)).toEqual([]);
  });
});

describe("grouped notifications (Mastodon 4.3) through masto.js", () => {
  it("lists groups with their accounts and statuses once, shows, dismisses, and has a policy", async () => {
    const { database, clock } = instance.deps;
    const erin = await makeUser(database.db, "erin");
    const frank = await makeUser(database.db, "frank");
    const post = unwrap(await createPost(deps, erin, { content: "group me" }));
    unwrap(await follow(deps, frank, "@erin"));
    await setBudget(database.db, clock, instance.deps.config, frank, 500n);
    await flattr(database.db, clock, instance.deps.config, frank, post.thingId);
    const token = (await createToken(database.db, clock, erin, { name: "v2" })).token;
    const client = createRestAPIClient({ url: instance.origin, accessToken: token });
    const page = await client.v2.notifications.list();
    expect(page.notificationGroups.map((g) => [g.type, g.notificationsCount])).toEqual([
      ["favourite", 1],
      ["follow", 1],
    ]);
    expect(page.accounts.map((a) => a.username)).toEqual(["frank"]);
    expect(page.statuses.map((s) => s.id)).toEqual([String(post.id)]);
    const [fav] = page.notificationGroups;
    expect((fav as { statusId?: string }).statusId).toBe(String(post.id));
    expect(fav!.sampleAccountIds).toEqual([String(frank)]);

    const one = await client.v2.notifications.$select(fav!.groupKey).fetch();
    expect(one.notificationGroups[0]!.groupKey).toBe(fav!.groupKey);
    const who = await client.v2.notifications.$select(fav!.groupKey).accounts.fetch();
    expect(who.map((a) => a.username)).toEqual(["frank"]);
    expect(await client.v2.notifications.unreadCount.fetch()).toEqual({ count: 2 });
    await client.v2.notifications.$select(fav!.groupKey).dismiss();
    expect((await client.v2.notifications.list()).notificationGroups.map((g) => g.type)).toEqual([
      "follow",
    ]);
    const policy = await client.v2.notifications.policy.fetch();
    expect(policy.forNotFollowing).toBe("accept");
    expect(await client.v1.notifications.requests.list()).toEqual([]);
  });
});

describe("notifications through megalodon", () => {
  it("lists, shows and dismisses, and saves markers as JSON", async () => {
    const { database, clock } = instance.deps;
    const dave = await makeUser(database.db, "dave");
    unwrap(await follow(deps, dave, "@bob"));
    unwrap(await follow(deps, alice, "@bob"));
    const token = (await createToken(database.db, clock, bob, { name: "megalodon" })).token;
    const client = generator("mastodon", instance.origin, token);
    const list = await client.getNotifications({ limit: 10 });
    expect(list.data.map((n) => [n.type, n.account?.username])).toEqual([
      ["follow", "alice"],
      ["follow", "dave"],
    ]);
    expect(list.headers.link).toContain("max_id=");
    const excluded = await client.getNotifications({ exclude_types: ["follow"] });
    expect(excluded.data).toEqual([]);
    const one = await client.getNotification(list.data[1]!.id);
    expect(one.data.account?.username).toBe("dave");
    await client.dismissNotification(list.data[1]!.id);
    expect((await client.getNotifications()).data.map((n) => n.account?.username)).toEqual([
      "alice",
    ]);
    await client.dismissNotifications();
    expect((await client.getNotifications()).data).toEqual([]);

    const marker = await client.saveMarkers({ home: { last_read_id: String(postId) } });
    expect((marker.data as { home?: { last_read_id: string } }).home?.last_read_id).toBe(
      String(postId),
    );
    await client.saveMarkers({ home: { last_read_id: String(postId + 1n) } });
    const read = await client.getMarkers(["home"]);
    expect((read.data as { home?: { version: number } }).home?.version).toBe(1);
  });

  it("refuses what it must, as Mastodon does", async () => {
    const { database, clock } = instance.deps;
    const readOnly = (
      await createToken(database.db, clock, alice, { name: "ro", scopes: ["read"] })
    ).token;
    const other = (await createToken(database.db, clock, carol, { name: "c" })).token;
    // Someone else's notification, a malformed id, no token, a read-only token writing.
    const bobs = await createRestAPIClient({
      url: instance.origin,
      accessToken: (await createToken(database.db, clock, bob, { name: "b" })).token,
    }).v1.notifications.list();
    expect(
      (await getJson(instance, `/api/v1/notifications/${bobs[0]?.id ?? "1"}`, other)).status,
    ).toBe(404);
    expect((await getJson(instance, "/api/v1/notifications/abc", other)).status).toBe(404);
    expect((await getJson(instance, "/api/v1/notifications")).status).toBe(401);
    const res = await fetch(`${instance.origin}/api/v1/notifications/clear`, {
      method: "POST",
      headers: { authorization: `Bearer ${readOnly}` },
    });
    expect(res.status).toBe(403);
    const bad = await fetch(`${instance.origin}/api/v1/markers`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${other}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "home[last_read_id]=nope",
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: string }).error).toContain("last_read_id");
  });
});
