import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import {
  followers,
  following,
  statuses,
  statusMentions,
  things,
  users,
} from "../../src/db/schema/index.ts";
import { unwrap } from "../../src/errors.ts";
import { follow, listFollowers, listFollowing, unfollow } from "../../src/social/follows.ts";
import { noFederation, type PostEvent, type SocialDeps } from "../../src/social/ports.ts";
import {
  countPostsByUser,
  createPost,
  deletePost,
  editPost,
  findPostByThing,
  getPost,
  listPostsByUser,
} from "../../src/social/posts.ts";
import { findRemoteActorByHandle, upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { upsertRemoteStatus } from "../../src/social/remote-statuses.ts";
import { createTestDatabase } from "../helpers/db.ts";

// The post doors against a real database, with a federation port that records what it was asked
// to queue (and finds remote actors in the cache only).
let database: Database;
let deps: SocialDeps;
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));
const config = testConfig({ ORIGIN: "https://here.example" });
const queued: PostEvent[] = [];
let failQueue: "throw" | "sql" | null = null;
let alice: number;
let carol: number;

async function addUser(db: Db, username: string): Promise<number> {
  const [row] = await db
    .insert(users)
    .values({ username, email: `${username}@example.test`, passwordHash: "x" })
    .returning({ id: users.id });
  return row!.id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  deps = {
    db,
    clock,
    config,
    federation: {
      ...noFederation,
      lookupActor: (q) => findRemoteActorByHandle(db, q),
      queuePost: async (tx, event) => {
        if (failQueue === "throw") throw new Error("delivery bug");
        // A database error inside the queueing: on PostgreSQL it aborts the savepoint only.
        if (failQueue === "sql") await tx.execute(sql`select * from no_such_table`);
        queued.push(event);
      },
    },
  };
  alice = await addUser(db, "alice");
  carol = await addUser(db, "carol");
  await upsertRemoteActor(db, clock, {
    uri: "https://remote.example/users/bob",
    type: "Person",
    handle: "bob@remote.example",
    name: "Bob",
    summaryHtml: "",
    url: "https://remote.example/@bob",
    iconUrl: null,
    inboxUrl: "https://remote.example/users/bob/inbox",
    sharedInboxUrl: "https://remote.example/inbox",
    followersUrl: null,
    paymentUrl: null,
  });
});
afterAll(async () => {
  await database?.close();
});

describe("createPost", () => {
  it("writes the status, its note thing and its mentions, and queues the Create", async () => {
    queued.length = 0;
    const created = unwrap(
      await createPost(deps, alice, {
        content: "Hello @bob@remote.example and @carol, see https://example.com!\r\n",
      }),
    );
    expect(created.uri).toBe(`https://here.example/users/alice/posts/${created.id}`);
    expect(created.url).toBe(`https://here.example/@alice/posts/${created.id}`);
    const [thing] = await deps.db.select().from(things).where(eq(things.id, created.thingId));
    expect(thing).toMatchObject({
      kind: "note",
      ownerKind: "local",
      ownerId: alice,
      objectUri: created.uri,
      url: created.url,
      title: "@alice: Hello @bob@remote.example and @carol, see https://example.com!",
    });
    const post = await getPost(deps, created.id);
    expect(post).toMatchObject({
      contentSource: "Hello @bob@remote.example and @carol, see https://example.com!",
      thingId: created.thingId,
      deletedAt: null,
    });
    expect(post!.contentHtml).toContain('href="https://remote.example/@bob" class="u-url mention"');
    expect(post!.contentHtml).toContain('href="https://here.example/@carol" class="u-url mention"');
    expect(post!.mentions.map((m) => [m.handle, m.userId])).toEqual([
      ["@carol@here.example", carol],
      ["@bob@remote.example", null],
    ]);
    expect(queued).toEqual([{ type: "create", statusId: created.id }]);
    // Sorts by publication time like every status id.
    expect(created.id >> 16n).toBe(BigInt(clock.now().getTime()));
  });

  it("refuses bad text and bad replies, writing nothing", async () => {
    const before = await countRows();
    const cases: [string, string | undefined, string][] = [
      ["  ", undefined, "invalid_content"],
      ["a".repeat(5001), undefined, "invalid_content"],
      ["bell\u0007", undefined, "invalid_content"],
      ["fine", "javascript:alert(1)", "invalid_reply"],
      ["fine", `https://x.example/${"a".repeat(3000)}`, "invalid_reply"],
    ];
    for (const [content, inReplyTo, code] of cases) {
      const result = await createPost(deps, alice, { content, inReplyTo });
      expect(result.ok ? "ok" : result.error.code, JSON.stringify([content, inReplyTo])).toBe(code);
    }
    expect(await createPost(deps, alice, { content: 42 as unknown as string })).toMatchObject({
      ok: false,
      error: { code: "invalid_content" },
    });
    expect(await countRows()).toEqual(before);
  });

  it("links a reply to the status it answers (a local one also by its page)", async () => {
    const remote = await upsertRemoteStatus(deps.db, clock, {
      uri: "https://remote.example/users/bob/statuses/1",
      url: "https://remote.example/@bob/1",
      remoteActorId: (await findRemoteActorByHandle(deps.db, "bob@remote.example"))!.id,
      contentHtml: "<p>hi</p>",
      summary: "",
      inReplyToUri: null,
      visibility: "public",
      publishedAt: clock.now(),
      editedAt: null,
    });
    const toRemote = unwrap(
      await createPost(deps, carol, { content: "yes", inReplyTo: remote!.uri }),
    );
    expect(await getPost(deps, toRemote.id)).toMatchObject({
      inReplyToUri: remote!.uri,
      inReplyToId: remote!.id,
    });
    // A local post is found by its Note id and by its page URL; the reply keeps the Note id.
    const local = unwrap(await createPost(deps, alice, { content: "local parent" }));
    for (const given of [local.uri, local.url]) {
      const reply = unwrap(await createPost(deps, carol, { content: "yes", inReplyTo: given }));
      expect(await getPost(deps, reply.id)).toMatchObject({
        inReplyToUri: local.uri,
        inReplyToId: local.id,
      });
    }
    const unknown = unwrap(
      await createPost(deps, carol, { content: "?", inReplyTo: "https://elsewhere.example/n/9" }),
    );
    expect(await getPost(deps, unknown.id)).toMatchObject({
      inReplyToUri: "https://elsewhere.example/n/9",
      inReplyToId: null,
    });
  });

  it("still writes the post when queueing its deliveries fails", async () => {
    for (const mode of ["throw", "sql"] as const) {
      failQueue = mode;
      queued.length = 0;
      const created = unwrap(await createPost(deps, alice, { content: `despite ${mode}` }));
      failQueue = null;
      expect(queued).toEqual([]);
      expect(await getPost(deps, created.id)).toMatchObject({ contentSource: `despite ${mode}` });
    }
  });
});

describe("editPost and deletePost", () => {
  it("edits: new text and mentions, edited_at, the thing's title, an Update to old and new mentions", async () => {
    const { id, thingId } = unwrap(
      await createPost(deps, alice, { content: "hi @bob@remote.example" }),
    );
    queued.length = 0;
    clock.advance(60_000);
    unwrap(await editPost(deps, alice, id, { content: "hi @carol" }));
    const post = await getPost(deps, id);
    expect(post).toMatchObject({ contentSource: "hi @carol", editedAt: clock.now() });
    expect(post!.mentions.map((m) => m.userId)).toEqual([carol]);
    const [thing] = await deps.db.select().from(things).where(eq(things.id, thingId));
    expect(thing!.title).toBe("@alice: hi @carol");
    expect(queued).toEqual([
      { type: "update", statusId: id, formerMentions: ["https://remote.example/users/bob"] },
    ]);
    // The same text again changes nothing and sends nothing.
    queued.length = 0;
    unwrap(await editPost(deps, alice, id, { content: " hi @carol\n" }));
    expect(queued).toEqual([]);
  });

  it("only the author edits or deletes", async () => {
    const { id } = unwrap(await createPost(deps, alice, { content: "mine" }));
    expect(await editPost(deps, carol, id, { content: "yours" })).toMatchObject({
      ok: false,
      error: { code: "not_author" },
    });
    expect(await deletePost(deps, carol, id)).toMatchObject({
      ok: false,
      error: { code: "not_author" },
    });
    expect(await editPost(deps, alice, 123n, { content: "x" })).toMatchObject({
      ok: false,
      error: { code: "post_not_found" },
    });
    expect(await editPost(deps, alice, id, { content: "" })).toMatchObject({
      ok: false,
      error: { code: "invalid_content" },
    });
    expect((await getPost(deps, id))!.contentSource).toBe("mine");
  });

  it("deletes: the row and thing stay, the text goes, a Delete is queued, then nothing more", async () => {
    const { id, thingId } = unwrap(
      await createPost(deps, alice, { content: "soon gone @bob@remote.example" }),
    );
    queued.length = 0;
    unwrap(await deletePost(deps, alice, id));
    const post = await getPost(deps, id);
    expect(post).toMatchObject({ contentSource: "", contentHtml: "", deletedAt: clock.now() });
    // Mentions stay: the Delete goes where the post went.
    expect(post!.mentions).toHaveLength(1);
    expect(queued).toEqual([{ type: "delete", statusId: id }]);
    const [thing] = await deps.db.select().from(things).where(eq(things.id, thingId));
    expect(thing!.title).toBe("A deleted post by @alice");
    expect((await findPostByThing(deps, thingId))!.deletedAt).toEqual(clock.now());
    for (const again of [
      await deletePost(deps, alice, id),
      await editPost(deps, alice, id, { content: "back" }),
    ])
      expect(again).toMatchObject({ ok: false, error: { code: "post_not_found" } });
  });
});

describe("reading posts", () => {
  it("lists a user's live posts newest first, in pages by id", async () => {
    const user = await addUser(deps.db, "dave");
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      ids.push(unwrap(await createPost(deps, user, { content: `post ${i}` })).id);
    }
    unwrap(await deletePost(deps, user, ids[2]!));
    const first = await listPostsByUser(deps, user, { limit: 2 });
    expect(first.map((p) => p.contentSource)).toEqual(["post 4", "post 3"]);
    const second = await listPostsByUser(deps, user, { maxId: first[1]!.id, limit: 2 });
    expect(second.map((p) => p.contentSource)).toEqual(["post 1", "post 0"]);
    const newer = await listPostsByUser(deps, user, { minId: ids[1]!, limit: 10 });
    expect(newer.map((p) => p.contentSource)).toEqual(["post 4", "post 3"]);
    expect(await countPostsByUser(deps.db, user)).toBe(4);
  });
});

describe("following a local user", () => {
  it("writes both rows at once, accepted, and unfollowing removes both", async () => {
    const result = unwrap(await follow(deps, alice, "@carol"));
    expect(result).toMatchObject({ actorUri: "https://here.example/users/carol", accepted: true });
    // Again, by URL or full handle: nothing new.
    for (const q of ["https://here.example/@carol", "carol@here.example"])
      expect(unwrap(await follow(deps, alice, q)).followId).toBe(result.followId);
    const mine = await listFollowing(deps, alice, { limit: 10 });
    expect(mine.entries).toMatchObject([
      { handle: "carol@here.example", userId: carol, accepted: true },
    ]);
    const theirs = await listFollowers(deps, carol, { limit: 10 });
    expect(theirs.entries).toMatchObject([{ handle: "alice@here.example", userId: alice }]);
    expect(await follow(deps, alice, "alice")).toMatchObject({
      ok: false,
      error: { code: "self_follow" },
    });
    expect(await follow(deps, alice, "@nobody")).toMatchObject({
      ok: false,
      error: { code: "actor_not_found" },
    });

    expect(await unfollow(deps, alice, result.actorUri)).toBe(true);
    expect(await deps.db.select().from(following)).toEqual([]);
    expect(await deps.db.select().from(followers)).toEqual([]);
    expect(await unfollow(deps, alice, result.actorUri)).toBe(false);
  });
});

async function countRows() {
  const [row] = await queryRows<{ s: string; t: string; m: string }>(
    deps.db,
    sql`select (select count(*) from ${statuses})::text as s, (select count(*) from ${things})::text as t,
               (select count(*) from ${statusMentions})::text as m`,
  );
  return row;
}
