import { Create, Delete, Follow, Mention, Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import { and, eq, isNotNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { following, statuses, things } from "../../src/db/schema/index.ts";
import { unwrap } from "../../src/errors.ts";
import { instantOf } from "../../src/federation/vocab/time.ts";
import { follow } from "../../src/social/follows.ts";
import { createPost, deletePost, editPost } from "../../src/social/posts.ts";
import { findRemoteActorByUri } from "../../src/social/remote-actors.ts";
import { findStatusByUri } from "../../src/social/remote-statuses.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { queueRows } from "../helpers/queue.ts";
import { AP, getJson, insertUser, socialOf, waitFor } from "./support.ts";

// Posts across servers: two Fediflattr instances (one, two) and a plain Fedify server standing
// in for Mastodon, over loopback HTTP with real signatures. One set of servers for the file.
let one: TestInstance;
let two: TestInstance;
let plain: PlainFedify;
let alice: number; // on one
let carol: number; // on one
let bob: number; // on two
let bobUri: string;
let aliceUri: string;

// biome-ignore lint/suspicious/noExplicitAny: received activities are arbitrary JSON.
type Json = any;

beforeAll(async () => {
  [one, two, plain] = await Promise.all([
    startTestInstance(),
    startTestInstance(),
    startPlainFedify(),
  ]);
  alice = await insertUser(one, "alice");
  carol = await insertUser(one, "carol");
  bob = await insertUser(two, "bob");
  bobUri = `${two.origin}/users/bob`;
  aliceUri = `${one.origin}/users/alice`;
  plain.addUser("pat");
  plain.addUser("quinn");
  plain.addUser("eve");
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop(), plain?.stop()]);
});

const drained = (instance: TestInstance) =>
  waitFor(async () => (await queueRows(instance.deps.database.db)) === 0);

/** The status one stores for a uri, once `check` holds for it. */
function statusOn(instance: TestInstance, uri: string, check: (s: Json) => boolean = () => true) {
  return waitFor(async () => {
    const s = await findStatusByUri(instance.deps.database.db, uri);
    return s && check(s) ? s : null;
  });
}

/** What the plain server received of a type for an object id, once it has. */
function receivedByPlain(type: string, objectId: string) {
  return waitFor(async () =>
    plain.received.find(
      (a) => a.type === type && (a.json.object?.id ?? a.json.object) === objectId,
    ),
  );
}

/** What Mastodon's create.rb needs of a delivered Create(Note) to store it as a status. */
function expectMastodonAcceptsCreate(json: Json, actor: string) {
  expect(json.type).toBe("Create");
  expect(json.actor).toBe(actor);
  const note = json.object;
  expect(note.type).toBe("Note");
  // non_matching_uri_hosts?(@account.uri, object_uri): the Note lives on the author's host.
  expect(new URL(note.id).host).toBe(new URL(actor).host);
  expect(note.attributedTo).toBe(actor);
  expect(typeof note.content).toBe("string");
  expect(note.content.length).toBeGreaterThan(0);
  expect(Number.isNaN(Date.parse(note.published))).toBe(false);
  // visibility_from_audience: public when `to` holds the public collection.
  const to = [note.to].flat();
  expect(to.some((t: string) => ["as:Public", PUBLIC_COLLECTION.href, "Public"].includes(t))).toBe(
    true,
  );
  expect(new URL(note.url).host).toBe(new URL(actor).host);
  // The FEP-0ea0 payment link; it has no `url`, so Mastodon does not take it for media.
  const attachments = [note.attachment].flat();
  const payment = attachments.find((a: Json) => a.rel === "payment");
  expect(payment).toMatchObject({ type: "Link", mediaType: "text/html" });
  expect(payment.href).toMatch(/\/things\/\d+\/flattr$/);
  expect(attachments.every((a: Json) => a.url === undefined)).toBe(true);
  return note;
}

describe("between two Fediflattr instances", () => {
  it("follows a remote and a local user; the remote's posts, edits, replies and deletes arrive", async () => {
    const social = socialOf(one);
    unwrap(await follow(social, alice, bobUri));
    unwrap(await follow(social, alice, "@carol"));
    await waitFor(async () => {
      const [row] = await one.deps.database.db
        .select()
        .from(following)
        .where(and(eq(following.actorUri, bobUri), isNotNull(following.acceptedAt)));
      return row;
    });

    const bobSocial = socialOf(two);
    const post = unwrap(
      await createPost(bobSocial, bob, { content: "Hello from two, https://example.com" }),
    );
    const stored = await statusOn(one, post.uri);
    const author = await findRemoteActorByUri(one.deps.database.db, bobUri);
    expect(stored).toMatchObject({
      remoteActorId: author!.id,
      url: post.url,
      visibility: "public",
      userId: null,
      deletedAt: null,
    });
    expect(stored.contentHtml).toContain("Hello from two");
    expect(stored.contentHtml).toContain('href="https://example.com"');

    unwrap(await editPost(bobSocial, bob, post.id, { content: "Hello again from two" }));
    const edited = await statusOn(one, post.uri, (s) => s.contentHtml.includes("again"));
    expect(edited.editedAt).not.toBeNull();

    const reply = unwrap(
      await createPost(bobSocial, bob, { content: "and a reply", inReplyTo: post.uri }),
    );
    const storedReply = await statusOn(one, reply.uri);
    expect(storedReply).toMatchObject({ inReplyToUri: post.uri, inReplyToId: stored.id });

    // A thing someone here made of the note (a flattr, a resolve) outlives its deletion.
    const [thing] = await one.deps.database.db
      .insert(things)
      .values({
        ownerKind: "remote",
        remoteOwnerId: author!.id,
        kind: "note",
        url: post.url,
        urlNormalized: post.url,
        objectUri: post.uri,
        title: "Bob's post",
        createdAt: new Date(),
      })
      .returning();
    await one.deps.database.db
      .update(statuses)
      .set({ thingId: thing!.id })
      .where(eq(statuses.id, stored.id));

    unwrap(await deletePost(bobSocial, bob, post.id));
    const deleted = await statusOn(one, post.uri, (s) => s.deletedAt !== null);
    expect(deleted).toMatchObject({ contentHtml: "", thingId: thing!.id });
    const [kept] = await one.deps.database.db.select().from(things).where(eq(things.id, thing!.id));
    expect(kept).toBeDefined();
    // Bob's own post and thing stay on two as well, and the Note id now answers 410.
    expect((await getJson(post.uri)).status).toBe(410);

    // carol is local: her post reaches alice's home without any delivery to ourselves.
    unwrap(await createPost(social, carol, { content: "local only" }));
    await drained(one);
    expect(plain.received.filter((a) => a.actor === `${one.origin}/users/carol`)).toEqual([]);
  });
});

describe("with a plain Fedify server standing in for Mastodon", () => {
  it("its user follows a local user and receives Create, Update and Delete of her posts", async () => {
    const pat = plain.actorUri("pat");
    await plain.send(
      "pat",
      { id: new URL(aliceUri), inboxId: new URL(`${aliceUri}/inbox`), endpoints: null },
      new Follow({
        id: new URL(`${pat}#follows/1`),
        actor: new URL(pat),
        object: new URL(aliceUri),
      }),
    );
    await waitFor(async () =>
      plain.received.find((a) => a.type === "Accept" && a.actor === aliceUri),
    );

    const social = socialOf(one);
    const post = unwrap(await createPost(social, alice, { content: "Flattr me, @carol!" }));
    const create = await receivedByPlain("Create", post.uri);
    // To the shared inbox, as Mastodon prefers.
    expect(create.inbox).toBeNull();
    const note = expectMastodonAcceptsCreate(create.json, aliceUri);
    expect(note).toMatchObject({ id: post.uri, url: post.url });
    expect(note.content).toContain("u-url mention");
    expect([note.tag].flat()).toEqual([
      {
        type: "Mention",
        href: `${one.origin}/users/carol`,
        name: `@carol@${new URL(one.origin).host}`,
      },
    ]);
    expect([note.cc].flat()).toContain(`${aliceUri}/followers`);
    // The Note at its id is the same document, with the payment link of its thing.
    const fetched = await getJson(post.uri);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: post.uri, type: "Note", attributedTo: aliceUri });
    expect(fetched.body.attachment).toMatchObject({
      type: "Link",
      rel: "payment",
      href: `${one.origin}/things/${post.thingId}/flattr`,
    });
    // A browser at the Note's id is sent to its page.
    const page = await fetch(post.uri, { headers: { Accept: "text/html" }, redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/@alice/posts/${post.id}`);
    const curl = await fetch(post.uri, { redirect: "manual" });
    expect(curl.status).toBe(302);

    unwrap(await editPost(social, alice, post.id, { content: "Flattr me, please" }));
    const update = await receivedByPlain("Update", post.uri);
    expect(update.json.object.content).toContain("please");
    expect(update.json.object.updated).toBeDefined();

    unwrap(await deletePost(social, alice, post.id));
    const del = await receivedByPlain("Delete", post.uri);
    expect(del.json.object).toMatchObject({ type: "Tombstone", id: post.uri });
    expect((await getJson(post.uri)).status).toBe(410);
  });

  it("delivers a post to the remote accounts it mentions", async () => {
    const quinn = plain.actorUri("quinn");
    const social = socialOf(one);
    // Handles of plain http test servers cannot go through WebFinger (https only): cache by URL.
    expect(await social.federation.lookupActor(quinn)).toMatchObject({ uri: quinn });
    const post = unwrap(
      await createPost(social, carol, { content: `Hi @quinn@${plain.host}, nice to meet you` }),
    );
    const create = await receivedByPlain("Create", post.uri);
    const note = expectMastodonAcceptsCreate(create.json, `${one.origin}/users/carol`);
    expect([note.tag].flat()).toEqual([
      { type: "Mention", href: quinn, name: `@quinn@${plain.host}` },
    ]);
    expect([note.cc].flat()).toContain(quinn);
  });

  it("keeps notes that mention a local user, ignores others and forged ones", async () => {
    const eve = plain.actorUri("eve");
    const inbox = {
      id: new URL(aliceUri),
      inboxId: new URL(`${one.origin}/inbox`),
      endpoints: null,
    };
    const local = unwrap(await createPost(socialOf(one), alice, { content: "Ask me anything" }));
    const note = (n: string, attribution: string, mention: boolean, replyTo?: string) =>
      new Note({
        id: new URL(`${eve}/statuses/${n}`),
        attribution: new URL(attribution),
        content: `<p>note ${n}</p>`,
        published: instantOf(new Date()),
        to: PUBLIC_COLLECTION,
        tags: mention ? [new Mention({ href: new URL(aliceUri) })] : [],
        replyTarget: replyTo ? new URL(replyTo) : null,
      });
    const send = (n: string, attribution: string, mention: boolean, replyTo?: string) =>
      plain.send(
        "eve",
        inbox,
        new Create({
          id: new URL(`${eve}/statuses/${n}/activity`),
          actor: new URL(eve),
          object: note(n, attribution, mention, replyTo),
        }),
      );
    await send("1", eve, true); // mentions alice: kept
    await send("2", eve, false); // nobody here follows eve: ignored
    await send("3", bobUri, true); // eve claims bob wrote it: ignored
    await send("4", eve, false, local.uri); // answers a post from here: kept, thread linked
    await send("5", eve, true, "javascript:alert(1)"); // kept, but not its script "reply"
    const kept = await statusOn(one, `${eve}/statuses/1`);
    expect(kept.contentHtml).toBe("<p>note 1</p>");
    expect(await statusOn(one, `${eve}/statuses/4`)).toMatchObject({
      inReplyToUri: local.uri,
      inReplyToId: local.id,
    });
    expect(await statusOn(one, `${eve}/statuses/5`)).toMatchObject({ inReplyToUri: null });
    await drained(one);
    expect(await findStatusByUri(one.deps.database.db, `${eve}/statuses/2`)).toBeNull();
    expect(await findStatusByUri(one.deps.database.db, `${eve}/statuses/3`)).toBeNull();

    // Eve deletes her note, then her account: the note is kept as deleted, the actor as gone.
    const deleteOf = (n: string, object: URL) =>
      plain.send(
        "eve",
        inbox,
        new Delete({ id: new URL(`${eve}#delete/${n}`), actor: new URL(eve), object }),
      );
    await deleteOf("note", new URL(`${eve}/statuses/1`));
    await statusOn(one, `${eve}/statuses/1`, (s) => s.deletedAt !== null);
    // A Delete that overtakes its Create leaves a tombstone: the late Create does not bring it back.
    await deleteOf("6", new URL(`${eve}/statuses/6`));
    await statusOn(one, `${eve}/statuses/6`, (s) => s.deletedAt !== null);
    await send("6", eve, true);
    await drained(one);
    expect(await findStatusByUri(one.deps.database.db, `${eve}/statuses/6`)).toMatchObject({
      contentHtml: "",
      deletedAt: expect.any(Date),
    });
    await deleteOf("actor", new URL(eve));
    await waitFor(async () => (await findRemoteActorByUri(one.deps.database.db, eve))?.goneAt);
  });
});

describe("the outbox collection", () => {
  it("lists a user's posts' Creates, newest first, in pages", async () => {
    const dave = await insertUser(one, "dave");
    const social = socialOf(one);
    const uris: string[] = [];
    for (let i = 0; i < 21; i++)
      uris.push(unwrap(await createPost(social, dave, { content: `post ${i}` })).uri);
    const outbox = await getJson(`${one.origin}/users/dave/outbox`);
    expect(outbox.body).toMatchObject({ type: "OrderedCollection", totalItems: 21 });
    const first = await getJson(outbox.body.first);
    const items = first.body.orderedItems;
    expect(items).toHaveLength(20);
    expect(items[0]).toMatchObject({ type: "Create", object: { id: uris[20], type: "Note" } });
    expect(items.map((a: Json) => a.object.id)).toEqual(uris.slice(1).reverse());
    const second = await getJson(first.body.next);
    expect([second.body.orderedItems].flat().map((a: Json) => a.object.id)).toEqual([uris[0]]);
    expect(second.body.next).toBeUndefined();
    expect((await getJson(`${one.origin}/users/dave/outbox?cursor=abc`)).status).toBe(404);
  });
});

describe("registered web things", () => {
  it("are Page objects at their own address, with their owner and the payment link", async () => {
    const { registerThing } = await import("../../src/flattr/things.ts");
    const { database, clock, config } = one.deps;
    const { thing } = await registerThing(database.db, clock, config, alice, {
      url: "https://blog.example/post",
      title: "A blog post",
      description: "Worth <it>",
    });
    const page = await getJson(`${one.origin}/things/${thing.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({
      id: `${one.origin}/things/${thing.id}`,
      type: "Page",
      attributedTo: aliceUri,
      name: "A blog post",
      summary: "<p>Worth &lt;it&gt;</p>",
      url: "https://blog.example/post",
      attachment: { type: "Link", rel: "payment", href: `${one.origin}/things/${thing.id}/flattr` },
    });
    const html = await fetch(`${one.origin}/things/${thing.id}`, {
      headers: { Accept: "text/html" },
    });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toContain("text/html");
    expect((await getJson(`${one.origin}/things/999999`)).status).toBe(404);
    expect(
      (await fetch(`${one.origin}/things/${thing.id}`, { headers: { Accept: AP } })).headers.get(
        "content-type",
      ),
    ).toContain("activity+json");
  });
});
