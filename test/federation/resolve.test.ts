import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { blockedDomains, statuses, things } from "../../src/db/schema/index.ts";
import { fedifyLookup } from "../../src/federation/lookup.ts";
import type { RemoteLookup } from "../../src/flattr/remote-lookup.ts";
import { resolveThing } from "../../src/flattr/resolve.ts";
import { findRemoteActorByUri } from "../../src/social/remote-actors.ts";
import { freePort, startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { insertUser } from "./support.ts";

// The resolver against real servers over loopback HTTP: a second Fediflattr (a peer) and a plain
// Fedify server in secure mode (actors and notes only for signed fetches), standing in for
// Mastodon with AUTHORIZED_FETCH.
const clock = fixedClock(new Date());
let ours: TestInstance;
let peer: TestInstance;
let plain: PlainFedify;
let lookup: RemoteLookup;
const resolve = (input: string) => resolveThing(ours.deps, lookup, input);

beforeAll(async () => {
  [ours, peer, plain] = await Promise.all([
    startTestInstance({}, { clock }),
    startTestInstance(),
    startPlainFedify({ secure: true }),
  ]);
  lookup = fedifyLookup(ours.federation, ours.deps);
  await Promise.all([insertUser(ours, "carol"), insertUser(peer, "bob")]);
  plain.addUser("alice", { name: "Alice Plain", summary: "<p>Writes <b>notes</b>.</p>" });
});
afterAll(async () => {
  await Promise.all([ours?.stop(), peer?.stop(), plain?.stop()]);
});

const hostOf = (origin: string) => new URL(origin).host;

describe("resolving remote actors", () => {
  it("finds a handle on a server in secure mode with signed fetches; its creator is unclaimed", async () => {
    // Unsigned, the server refuses the actor: the resolver's fetches must be signed.
    const unsigned = await fetch(plain.actorUri("alice"), {
      headers: { Accept: "application/activity+json" },
    });
    expect(unsigned.status).toBe(401);

    const r = await resolve(`@alice@${plain.host}`);
    if (!r.ok) throw r.error;
    expect(r.value.thing).toMatchObject({
      kind: "profile",
      ownerKind: "remote",
      title: "Alice Plain",
      objectUri: plain.actorUri("alice"),
      url: `${plain.origin}/@alice`,
    });
    expect(r.value.owner).toMatchObject({
      kind: "unclaimed",
      actor: plain.actorUri("alice"),
      handle: `alice@${plain.host}`,
    });
    expect(r.value.created).toBe(true);
    const actor = await findRemoteActorByUri(ours.deps.database.db, plain.actorUri("alice"));
    expect(actor).toMatchObject({ handle: `alice@${plain.host}`, type: "Person" });
    expect(actor?.fetchedAt.getTime()).toBe(clock.now().getTime());

    // acct: and the actor's URL name the same thing, from the cache (no new fetch).
    const fetches = plain.requests.length;
    for (const input of [`acct:alice@${plain.host}`, plain.actorUri("alice")]) {
      const again = await resolve(input);
      if (!again.ok) throw again.error;
      expect(again.value).toMatchObject({ created: false, thing: { id: r.value.thing.id } });
    }
    expect(plain.requests.length).toBe(fetches);
  });

  it("a Fediflattr instance's user by actor URL is a peer's creator", async () => {
    const bob = `${peer.origin}/users/bob`;
    const r = await resolve(bob);
    if (!r.ok) throw r.error;
    expect(r.value.thing).toMatchObject({ kind: "profile", title: "bob Example" });
    expect(r.value.owner).toMatchObject({
      kind: "peer",
      actor: bob,
      handle: `bob@${hostOf(peer.origin)}`,
      profileUrl: `${peer.origin}/@bob`,
    });
    const byHandle = await resolve(`bob@${hostOf(peer.origin)}`);
    expect(byHandle.ok && byHandle.value.thing.id).toBe(r.value.thing.id);
  });

  it("refuses unknown handles (404), non-actors, and a server that is down, changing nothing", async () => {
    const unknown = await resolve(`@nobody@${plain.host}`);
    expect(unknown.ok || unknown.error.code).toBe("not_found");
    const down = `127.0.0.1:${await freePort()}`;
    const byHandle = await resolve(`@x@${down}`);
    expect(byHandle.ok || byHandle.error.code).toBe("remote_unreachable");
    const byUrl = await resolve(`http://${down}/users/x`);
    expect(byUrl.ok || byUrl.error.code).toBe("remote_unreachable");
    const collection = await resolve(`${peer.origin}/users/bob/followers`);
    expect(collection.ok || collection.error.code).toBe("not_flattrable");
    const rows = await ours.deps.database.db.select().from(things);
    expect(rows.map((t) => t.objectUri)).not.toContain(`http://${down}/users/x`);
  });
});

describe("resolving remote posts", () => {
  it("a note URL becomes a note thing owned by its author, stored with when it was fetched", async () => {
    const uri = plain.addNote("alice", "<p>A first <em>note</em> worth a flattr.</p>");
    const r = await resolve(uri);
    if (!r.ok) throw r.error;
    expect(r.value.thing).toMatchObject({
      kind: "note",
      ownerKind: "remote",
      objectUri: uri,
      title: "A first note worth a flattr.",
    });
    expect(r.value.owner.kind).toBe("unclaimed");
    const [status] = await ours.deps.database.db
      .select()
      .from(statuses)
      .where(eq(statuses.uri, uri));
    expect(status).toMatchObject({ thingId: r.value.thing.id, visibility: "public" });
    expect(status?.contentHtml).toContain("<em>note</em>");
    expect(status?.fetchedAt?.getTime()).toBe(clock.now().getTime());
  });

  it("a deleted note (410) keeps its thing; one never seen is refused as gone", async () => {
    const uri = plain.addNote("alice", "Soon deleted.");
    const first = await resolve(uri);
    if (!first.ok) throw first.error;
    plain.deleteNote(uri);
    clock.advance(25 * 3600_000); // stale: the next look-up fetches again
    const after = await resolve(uri);
    if (!after.ok) throw after.error;
    expect(after.value).toMatchObject({ deleted: true, thing: { id: first.value.thing.id } });
    const [status] = await ours.deps.database.db
      .select()
      .from(statuses)
      .where(eq(statuses.uri, uri));
    expect(status?.deletedAt).not.toBeNull();

    const never = plain.addNote("alice", "Deleted before anyone looked.");
    plain.deleteNote(never);
    const gone = await resolve(never);
    expect(gone.ok || gone.error.code).toBe("remote_gone");
  });

  it("refetches a stale actor, and uses the cache while it is fresh", async () => {
    plain.addUser("dora", { name: "Dora One" });
    const first = await resolve(plain.actorUri("dora"));
    if (!first.ok) throw first.error;
    plain.addUser("dora", { name: "Dora Two" });
    clock.advance(3600_000);
    const fresh = await resolve(plain.actorUri("dora"));
    expect(fresh.ok && fresh.value.thing.title).toBe("Dora One");
    clock.advance(24 * 3600_000);
    const stale = await resolve(plain.actorUri("dora"));
    expect(stale.ok && stale.value.thing).toMatchObject({
      id: first.value.thing.id,
      title: "Dora Two",
    });
  });

  it("does not believe a document that claims an id on another origin", async () => {
    // Served by the plain server, claiming to be the peer's bob with another name: the resolver
    // asks the peer itself and stores what the peer says.
    const forgedActor = plain.addRawDocument("/raw/bob", {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${peer.origin}/users/bob`,
      type: "Person",
      preferredUsername: "bob",
      name: "Forged Bob",
      inbox: `${plain.origin}/inbox`,
    });
    const r = await resolve(forgedActor);
    if (!r.ok) throw r.error;
    expect(r.value.owner.actor).toBe(`${peer.origin}/users/bob`);
    const bob = await findRemoteActorByUri(ours.deps.database.db, `${peer.origin}/users/bob`);
    expect(bob?.name).toBe("bob Example");

    // A note claiming an id the other origin does not have: nothing is stored.
    const fakeId = `${peer.origin}/users/bob/statuses/404`;
    const forgedNote = plain.addRawDocument("/raw/note", {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: fakeId,
      type: "Note",
      attributedTo: `${peer.origin}/users/bob`,
      content: "Forged",
      to: "https://www.w3.org/ns/activitystreams#Public",
    });
    const refused = await resolve(forgedNote);
    expect(refused.ok || refused.error.code).toBe("not_found");
    const rows = await ours.deps.database.db
      .select()
      .from(statuses)
      .where(eq(statuses.uri, fakeId));
    expect(rows).toEqual([]);
  });

  it("refuses a blocked server without fetching anything from it", async () => {
    await ours.deps.database.db
      .insert(blockedDomains)
      .values({ host: plain.host, reason: "test", createdAt: clock.now() });
    try {
      const fetches = plain.requests.length;
      const uri = plain.addNote("alice", "Not for a blocked server.");
      for (const input of [`@alice@${plain.host}`, uri, plain.actorUri("alice")]) {
        const r = await resolve(input);
        expect(r.ok || r.error.code, input).toBe("domain_blocked");
      }
      expect(plain.requests.length).toBe(fetches);
    } finally {
      await ours.deps.database.db.delete(blockedDomains);
    }
  });
});
