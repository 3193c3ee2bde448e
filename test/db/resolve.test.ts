import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { blockedDomains, remoteActors, statuses, things } from "../../src/db/schema/index.ts";
import type { Deps } from "../../src/deps.ts";
import { ensureRemoteActor, resolveThing } from "../../src/flattr/resolve.ts";
import { thingOwner } from "../../src/flattr/resolve-owner.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { actorData, FakeLookup, noteData } from "../helpers/fake-lookup.ts";
import { makeUser } from "../helpers/flattr.ts";

// The resolver's own decisions, with a fake RemoteLookup: what is answered from the database,
// when the network is asked, what is stored, and every refusal.
let database: Database;
let deps: Deps;
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));
const config = testConfig({ ORIGIN: "https://flattr.example" });
let carol: number;

beforeAll(async () => {
  database = await createTestDatabase();
  deps = { config, database, clock };
  carol = await makeUser(database.db, "carol");
});
afterAll(async () => {
  await database?.close();
});

const count = async (table: "things" | "remote_actors" | "statuses") =>
  Number(
    (
      await queryRows<{ n: string }>(
        database.db,
        sql`select count(*)::text as n from ${sql.raw(table)}`,
      )
    )[0]!.n,
  );

describe("local handles and addresses", () => {
  it("resolve from the database alone, to the local user's profile or thing", async () => {
    const offline = new FakeLookup().offline();
    const inputs = [
      "@carol@flattr.example",
      "acct:Carol@flattr.example",
      "https://flattr.example/@carol",
      "https://flattr.example/users/carol",
      "https://flattr.example/users/carol/flattr",
    ];
    const ids = new Set<number>();
    for (const input of inputs) {
      const r = await resolveThing(deps, offline, input);
      if (!r.ok) throw r.error;
      expect(r.value.owner).toMatchObject({
        kind: "local",
        actor: "https://flattr.example/users/carol",
        handle: "carol@flattr.example",
      });
      expect(r.value.thing).toMatchObject({ kind: "profile", ownerId: carol });
      ids.add(r.value.thing.id);
    }
    expect(ids.size).toBe(1);
    const [id] = ids;
    const byPage = await resolveThing(deps, offline, `https://flattr.example/things/${id}`);
    expect(byPage.ok && byPage.value.thing.id).toBe(id);
  });

  it("refuses unknown local names and addresses with 404 codes, and junk as invalid", async () => {
    const offline = new FakeLookup().offline();
    const before = await count("things");
    for (const input of [
      "@nobody@flattr.example",
      "https://flattr.example/users/nobody",
      "https://flattr.example/things/999999",
      "https://flattr.example/some/page",
    ]) {
      const r = await resolveThing(deps, offline, input);
      expect(r.ok || r.error.code, input).toBe("not_found");
    }
    for (const input of ["", "hello", "ftp://x.example/", "@a@b@c"]) {
      const r = await resolveThing(deps, offline, input);
      expect(r.ok || r.error.code, input).toBe("invalid_uri");
    }
    expect(await count("things")).toBe(before);
  });
});

describe("remote actors", () => {
  it("a handle: WebFinger, then the actor; cached while fresh, fetched again once stale", async () => {
    const lookup = new FakeLookup().addActor(
      actorData("https://social.example/users/ann"),
      "ann@social.example",
    );
    const r = await resolveThing(deps, lookup, "@ann@social.example");
    if (!r.ok) throw r.error;
    expect(r.value).toMatchObject({
      created: true,
      deleted: false,
      thing: { kind: "profile", ownerKind: "remote", title: "ann (remote)" },
      owner: { kind: "unclaimed", handle: "ann@social.example" },
    });
    expect(lookup.calls).toEqual([
      "webfinger ann@social.example",
      "fetch https://social.example/users/ann",
      "peer social.example",
    ]);

    lookup.calls.length = 0;
    lookup.addActor(actorData("https://social.example/users/ann", { name: "Ann Renamed" }));
    clock.advance(23 * 3600_000);
    const fresh = await resolveThing(deps, lookup, "https://social.example/users/ann");
    expect(fresh.ok && fresh.value.thing.title).toBe("ann (remote)");
    expect(lookup.calls.filter((c) => c.startsWith("fetch"))).toEqual([]);

    clock.advance(2 * 3600_000);
    const stale = await resolveThing(deps, lookup, "@ann@social.example");
    expect(stale.ok && stale.value).toMatchObject({
      created: false,
      thing: { id: r.value.thing.id, title: "Ann Renamed" },
    });
    expect(lookup.calls.filter((c) => c.startsWith("fetch"))).toHaveLength(1);
  });

  it("the owner is a peer when the peers port says its server speaks flattr", async () => {
    const lookup = new FakeLookup(deps).addActor(actorData("https://peer.example/users/pia"));
    lookup.peers.add("peer.example");
    const r = await resolveThing(deps, lookup, "https://peer.example/users/pia");
    expect(r.ok && r.value.owner.kind).toBe("peer");
    if (!r.ok) return;
    // Pages read the same from the peers table, which the look-up filled.
    expect((await thingOwner(database.db, config, r.value.thing)).kind).toBe("peer");
  });

  it("serves a cached copy when the server is down, and refuses when there is none", async () => {
    const lookup = new FakeLookup().addActor(actorData("https://flaky.example/users/fay"));
    const first = await resolveThing(deps, lookup, "https://flaky.example/users/fay");
    if (!first.ok) throw first.error;
    clock.advance(48 * 3600_000);
    lookup.fail("https://flaky.example/users/fay", "unreachable");
    const cached = await resolveThing(deps, lookup, "https://flaky.example/users/fay");
    expect(cached.ok && cached.value.thing.id).toBe(first.value.thing.id);

    const unknown = await resolveThing(
      deps,
      lookup.fail("https://flaky.example/users/gus", "unreachable"),
      "https://flaky.example/users/gus",
    );
    expect(unknown.ok || unknown.error).toMatchObject({ code: "remote_unreachable" });
    const down = await resolveThing(
      deps,
      lookup.fail("https://down.example/", "unreachable"),
      "@x@down.example",
    );
    expect(down.ok || down.error.code).toBe("remote_unreachable");
  });

  it("a deleted actor (410) keeps its thing, marked deleted; never seen, it is refused", async () => {
    const uri = "https://social.example/users/del";
    const lookup = new FakeLookup().addActor(actorData(uri));
    const first = await resolveThing(deps, lookup, uri);
    if (!first.ok) throw first.error;
    clock.advance(25 * 3600_000);
    lookup.fail(uri, "gone");
    const after = await resolveThing(deps, lookup, uri);
    expect(after.ok && after.value).toMatchObject({
      deleted: true,
      thing: { id: first.value.thing.id },
    });
    const [row] = await database.db.select().from(remoteActors).where(eq(remoteActors.uri, uri));
    expect(row?.goneAt).not.toBeNull();

    const never = await resolveThing(
      deps,
      lookup.fail("https://social.example/users/never", "gone"),
      "https://social.example/users/never",
    );
    expect(never.ok || never.error.code).toBe("remote_gone");
  });

  it("refuses instance actors and non-actors behind a handle", async () => {
    const lookup = new FakeLookup()
      .addActor(
        actorData("https://social.example/actor", { type: "Application" }),
        "social.example@social.example",
      )
      .addObject(noteData("https://social.example/notes/1", "https://social.example/users/ann"));
    lookup.handles.set("odd@social.example", "https://social.example/notes/1");
    const app = await resolveThing(deps, lookup, "@social.example@social.example");
    expect(app.ok || app.error.code).toBe("not_flattrable");
    const odd = await resolveThing(deps, lookup, "@odd@social.example");
    expect(odd.ok || odd.error.code).toBe("not_flattrable");
    const unknown = await resolveThing(deps, lookup, "@nope@social.example");
    expect(unknown.ok || unknown.error.code).toBe("not_found");
  });
});

describe("remote posts", () => {
  const author = "https://notes.example/users/nat";

  it("a note becomes a note thing of its author, its status linked to the thing", async () => {
    const uri = "https://notes.example/users/nat/statuses/1";
    const lookup = new FakeLookup().addActor(actorData(author)).addObject(
      noteData(uri, author, {
        contentHtml: "<p>First <b>post</b>\nhere</p>",
        url: "https://notes.example/@nat/1",
      }),
    );
    const r = await resolveThing(deps, lookup, uri);
    if (!r.ok) throw r.error;
    expect(r.value.thing).toMatchObject({
      kind: "note",
      objectUri: uri,
      url: "https://notes.example/@nat/1",
      title: "First post here",
    });
    const [status] = await database.db.select().from(statuses).where(eq(statuses.uri, uri));
    expect(status?.thingId).toBe(r.value.thing.id);
    // The author got a cached actor row; and the note is answered from the cache now.
    lookup.calls.length = 0;
    const again = await resolveThing(deps, lookup, uri);
    expect(again.ok && again.value.thing.id).toBe(r.value.thing.id);
    expect(lookup.calls.filter((c) => c.startsWith("fetch"))).toEqual([]);
  });

  it("a note deleted on its server keeps its thing and its flattrs", async () => {
    const uri = "https://notes.example/users/nat/statuses/2";
    const lookup = new FakeLookup().addActor(actorData(author)).addObject(noteData(uri, author));
    const first = await resolveThing(deps, lookup, uri);
    if (!first.ok) throw first.error;
    await queryRows(
      database.db,
      sql`insert into flattrs (thing_id, payer_id, period, created_at)
          values (${first.value.thing.id}, ${carol}, '2026-12', now())`,
    );
    clock.advance(25 * 3600_000);
    lookup.fail(uri, "gone");
    const after = await resolveThing(deps, lookup, uri);
    expect(after.ok && after.value).toMatchObject({
      deleted: true,
      thing: { id: first.value.thing.id },
    });
    const flattrs = await queryRows(
      database.db,
      sql`select 1 from flattrs where thing_id = ${first.value.thing.id} and withdrawn_at is null`,
    );
    expect(flattrs).toHaveLength(1);
    // Deleted is final: later look-ups answer it without asking the server.
    lookup.calls.length = 0;
    clock.advance(48 * 3600_000);
    const later = await resolveThing(deps, lookup, uri);
    expect(later.ok && later.value.deleted).toBe(true);
    expect(lookup.calls.filter((c) => c.startsWith("fetch"))).toEqual([]);
  });

  it("refuses a note attributed to another server's account, or to nobody, storing nothing", async () => {
    const before = { things: await count("things"), statuses: await count("statuses") };
    const lookup = new FakeLookup()
      .addActor(actorData("https://victim.example/users/vic"))
      .addObject(noteData("https://evil.example/n/1", "https://victim.example/users/vic"))
      .addObject(
        noteData("https://evil.example/n/2", "https://evil.example/users/x", {
          attributedTo: null,
        }),
      );
    const forged = await resolveThing(deps, lookup, "https://evil.example/n/1");
    expect(forged.ok || forged.error.code).toBe("not_flattrable");
    const anonymous = await resolveThing(deps, lookup, "https://evil.example/n/2");
    expect(anonymous.ok || anonymous.error.code).toBe("not_flattrable");
    expect(lookup.calls).not.toContain("fetch https://victim.example/users/vic");
    expect({ things: await count("things"), statuses: await count("statuses") }).toEqual(before);
  });

  it("a Page becomes a page thing titled by its name", async () => {
    const uri = "https://pages.example/things/7";
    const lookup = new FakeLookup()
      .addActor(actorData("https://pages.example/users/pat"))
      .addObject(
        noteData(uri, "https://pages.example/users/pat", {
          type: "Page",
          kind: "page",
          name: "A song",
          url: "https://music.example/song",
        }),
      );
    const r = await resolveThing(deps, lookup, uri);
    expect(r.ok && r.value.thing).toMatchObject({
      kind: "page",
      title: "A song",
      url: "https://music.example/song",
    });
    const [status] = await database.db.select().from(statuses).where(eq(statuses.uri, uri));
    expect(status).toBeUndefined();
  });
});

describe("blocked servers", () => {
  it("are refused before anything is asked, also when WebFinger points at one", async () => {
    await database.db.insert(blockedDomains).values([
      { host: "blocked.example", createdAt: clock.now() },
      { host: "hidden.example", createdAt: clock.now() },
    ]);
    const lookup = new FakeLookup().addActor(
      actorData("https://hidden.example/users/h"),
      "h@front.example",
    );
    for (const input of [
      "@x@blocked.example",
      "@x@sub.blocked.example",
      "https://blocked.example/users/x",
      "https://a.blocked.example/notes/1",
    ]) {
      const r = await resolveThing(deps, lookup, input);
      expect(r.ok || r.error.code, input).toBe("domain_blocked");
    }
    expect(lookup.calls).toEqual([]);
    const delegated = await resolveThing(deps, lookup, "@h@front.example");
    expect(delegated.ok || delegated.error.code).toBe("domain_blocked");
    expect(lookup.calls).toEqual(["webfinger h@front.example"]);
    const rows = await database.db
      .select()
      .from(things)
      .where(eq(things.objectUri, "https://hidden.example/users/h"));
    expect(rows).toEqual([]);
  });
});

describe("ensureRemoteActor (for inbound activities and follows)", () => {
  it("stores an actor without a thing, from the cache while fresh; refuses instance actors", async () => {
    const uri = "https://inbound.example/users/ina";
    const lookup = new FakeLookup()
      .addActor(actorData(uri))
      .addActor(actorData("https://inbound.example/actor", { type: "Application" }));
    const before = await count("things");
    const first = await ensureRemoteActor(deps, lookup, uri);
    expect(first.ok && first.value).toMatchObject({ uri, handle: "ina@inbound.example" });
    const again = await ensureRemoteActor(deps, lookup, uri);
    expect(again.ok && again.value.id).toBe(first.ok && first.value.id);
    expect(lookup.calls).toEqual([`fetch ${uri}`]);
    expect(await count("things")).toBe(before);
    const app = await ensureRemoteActor(deps, lookup, "https://inbound.example/actor");
    expect(app.ok || app.error.code).toBe("not_flattrable");
  });
});
