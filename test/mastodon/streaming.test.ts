import { createRestAPIClient, createStreamingAPIClient, type mastodon } from "masto";
import generator, { type Entity } from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createToken } from "../../src/accounts/tokens.ts";
import { openPostgres } from "../../src/db/client.ts";
import { unwrap } from "../../src/errors.ts";
import { follow } from "../../src/social/follows.ts";
import { noFederation, type SocialDeps } from "../../src/social/ports.ts";
import { createPost, deletePost } from "../../src/social/posts.ts";
import { usingPostgres } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { until } from "../helpers/wait.ts";

/*
 * The streaming API through real clients: masto.js (token as the WebSocket subprotocol,
 * subscribe messages) and megalodon (token and stream in the query) receive `update`,
 * `notification` and `delete` events live, written by another code path than theirs.
 */

let instance: TestInstance;
let deps: SocialDeps;
let alice: number;
let bob: number;
let bobToken: string;
let streamingUrl: string;

beforeAll(async () => {
  instance = await startTestInstance();
  const { database, clock, config } = instance.deps;
  deps = { db: database.db, clock, config, federation: noFederation };
  alice = await makeUser(database.db, "alice");
  bob = await makeUser(database.db, "bob");
  unwrap(await follow(deps, bob, "@alice"));
  bobToken = (await createToken(database.db, clock, bob, { name: "stream" })).token;
  const rest = createRestAPIClient({ url: instance.origin, accessToken: bobToken });
  streamingUrl = (await rest.v2.instance.fetch()).configuration.urls.streaming;
});
afterAll(async () => {
  await instance?.stop();
});

describe("masto.js streaming", () => {
  it("receives updates of the home timeline, notifications and deletions live", async () => {
    const client = createStreamingAPIClient({
      streamingApiUrl: streamingUrl,
      accessToken: bobToken,
      retry: false,
    });
    const events: mastodon.streaming.Event[] = [];
    const subscription = client.user.subscribe();
    const reading = (async () => {
      for await (const e of subscription) events.push(e);
    })().catch(() => {});
    await until(() => instance.streaming.streamsOf(bob).includes("user"), {
      what: "bob's user stream",
    });

    const post = unwrap(await createPost(deps, alice, { content: "Live from alice" }));
    const update = await until(() => events.find((e) => e.event === "update"), { what: "update" });
    expect(update.stream).toEqual(["user"]);
    expect(update.payload).toMatchObject({
      id: String(post.id),
      account: { username: "alice" },
      favourited: false,
    });

    const carol = await makeUser(instance.deps.database.db, "carol");
    unwrap(await follow(deps, carol, "@bob"));
    const notification = await until(() => events.find((e) => e.event === "notification"), {
      what: "notification",
    });
    expect(notification.payload).toMatchObject({ type: "follow", account: { username: "carol" } });

    unwrap(await deletePost(deps, alice, post.id));
    const deleted = await until(() => events.find((e) => e.event === "delete"), { what: "delete" });
    expect(deleted.payload).toBe(String(post.id));

    subscription.unsubscribe();
    client.close();
    await reading;
    await until(() => instance.streaming.streamsOf(bob).length === 0, { what: "disconnect" });
  });
});

describe("megalodon streaming", () => {
  it("receives an update and a notification with the token in the query", async () => {
    const client = generator("mastodon", instance.origin, bobToken);
    const stream = await client.userStreaming();
    const updates: Entity.Status[] = [];
    const notifications: Entity.Notification[] = [];
    stream.on("update", (s: Entity.Status) => updates.push(s));
    stream.on("notification", (n: Entity.Notification) => notifications.push(n));
    try {
      await until(() => instance.streaming.streamsOf(bob).includes("user"), {
        what: "megalodon's connection",
      });
      const post = unwrap(await createPost(deps, alice, { content: "Again, @bob" }));
      await until(() => updates.length > 0 && notifications.length > 0, {
        what: "update and mention",
      });
      expect(updates[0]!.id).toBe(String(post.id));
      expect(notifications[0]!.type).toBe("mention");
      expect(notifications[0]!.status?.id).toBe(String(post.id));
    } finally {
      stream.stop();
    }
  });
});

describe("another process's writes", () => {
  // A worker process's inbox writes a remote note; the web process holds the socket. Its own
  // connection pool stands in for the worker: the event can only arrive through NOTIFY.
  it.skipIf(!usingPostgres)("reach the web process's sockets through LISTEN/NOTIFY", async () => {
    const other = openPostgres(instance.deps.database.url!, { max: 1 });
    const ws = new WebSocket(`${streamingUrl}/api/v1/streaming?stream=user`, [bobToken]);
    const messages: string[] = [];
    ws.on("message", (m) => messages.push(String(m)));
    try {
      await until(() => instance.streaming.streamsOf(bob).includes("user"));
      const post = unwrap(
        await createPost({ ...deps, db: other.db }, alice, { content: "From elsewhere" }),
      );
      await until(() => messages.length > 0, { what: "the update" });
      expect(JSON.parse(JSON.parse(messages[0]!).payload).id).toBe(String(post.id));
    } finally {
      ws.close();
      await other.close();
    }
  });
});

describe("the WebSocket protocol", () => {
  function open(
    query: string,
    protocols?: string[],
  ): Promise<{ ws: WebSocket; messages: string[] }> {
    const ws = new WebSocket(`${streamingUrl}/api/v1/streaming${query}`, protocols);
    const messages: string[] = [];
    ws.on("message", (m) => messages.push(String(m)));
    return new Promise((resolve, reject) => {
      ws.on("open", () => resolve({ ws, messages }));
      ws.on("unexpected-response", (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      ws.on("error", reject);
    });
  }

  it("streams public posts without a token, subscribes and unsubscribes by message", async () => {
    const { ws, messages } = await open("?stream=public:local");
    await until(() => instance.streaming.streamsOf(null).includes("public:local"));
    ws.send(JSON.stringify({ type: "subscribe", stream: "user" }));
    ws.send(JSON.stringify({ type: "subscribe", stream: "nonsense" }));
    ws.send("not json");
    await until(() => messages.length >= 3, { what: "three refusals" });
    expect(messages.map((m) => JSON.parse(m).status)).toEqual([401, 400, 400]);
    ws.send(JSON.stringify({ type: "subscribe", stream: "hashtag", tag: "quiet" }));
    ws.send(JSON.stringify({ type: "subscribe", stream: "public" }));
    await until(() => instance.streaming.streamsOf(null).includes("public"));
    const post = unwrap(await createPost(deps, alice, { content: "For everyone" }));
    await until(() => messages.length >= 5, { what: "two updates" });
    const updates = messages.slice(3).map((m) => JSON.parse(m));
    expect(updates.map((u) => [u.stream[0], u.event, JSON.parse(u.payload).id]).sort()).toEqual([
      ["public", "update", String(post.id)],
      ["public:local", "update", String(post.id)],
    ]);
    ws.send(JSON.stringify({ type: "unsubscribe", stream: "public" }));
    await until(() => !instance.streaming.streamsOf(null).includes("public"));
    ws.close();
  });

  it("refuses bad tokens and streams that need one, and answers health and plain GETs", async () => {
    await expect(open("?stream=user")).rejects.toThrow("status 401");
    await expect(open("?stream=user&access_token=nope")).rejects.toThrow("status 401");
    await expect(open("?stream=user", ["nope"])).rejects.toThrow("status 401");
    await expect(open("?stream=bogus")).rejects.toThrow("status 400");
    const viaProtocol = await open("?stream=user", [bobToken]);
    expect(viaProtocol.ws.protocol).toBe(bobToken);
    viaProtocol.ws.close();

    const health = await fetch(`${instance.origin}/api/v1/streaming/health`);
    expect([health.status, await health.text()]).toEqual([200, "OK"]);
    const plain = await fetch(`${instance.origin}/api/v1/streaming?stream=user`);
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: string }).error).toContain("WebSocket");
  });
});
