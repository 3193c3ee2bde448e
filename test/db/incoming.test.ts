// Incoming flattrs and favourites (src/flattr/incoming.ts): idempotent by activity id, an Undo
// before its Like still ends withdrawn, refusals store nothing; and which local thing an object
// id names.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import {
  type IncomingFlattrInput,
  receiveFlattr,
  receiveFlattrOfObject,
  recordFavourite,
  withdrawIncoming,
} from "../../src/flattr/incoming.ts";
import { localThingForObject } from "../../src/flattr/local-objects.ts";
import { profileThing, registerThing } from "../../src/flattr/things.ts";
import type { RemoteActor } from "../../src/social/remote-actors.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";
import { markPeer, remoteActor } from "../helpers/remote.ts";

let database: Database;
let db: Db;
const config: Config = testConfig({ ORIGIN: "https://here.example" });
const clock = fixedClock("2027-05-20T12:00:00Z");
let thingId: number;
let ann: RemoteActor;
let n = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  const owner = await makeUser(db);
  thingId = (await profileThing(db, clock, config, owner)).id;
  ann = await remoteActor(db, clock, "peer.example", "ann");
});
afterAll(async () => {
  await database?.close();
});

const likeId = () => `https://peer.example/flattrs/${String(++n).padStart(32, "0")}`;

function input(activityId: string, over: Partial<IncomingFlattrInput> = {}): IncomingFlattrInput {
  return {
    activityId,
    payer: { id: ann.id, uri: ann.uri, host: ann.host },
    thingId,
    period: "2027-05",
    currency: config.currency,
    payerInstance: "https://peer.example/actor",
    protocolVersion: "1",
    ...over,
  };
}

async function row(table: "incoming_flattrs" | "favourites", activityId: string) {
  const [r] = await queryRows<{ withdrawn: boolean; undo: string | null }>(
    db,
    sql`select withdrawn_at is not null as withdrawn, undo_activity_id as undo
        from ${sql.raw(table)} where activity_id = ${activityId}`,
  );
  return r ?? null;
}

describe("incoming flattrs", () => {
  it("are stored once per Like id, in the payer's period as sent", async () => {
    const id = likeId();
    expect(await receiveFlattr(db, clock, config, input(id, { period: "2027-04" }))).toEqual({
      ok: true,
      value: "recorded",
    });
    for (let i = 0; i < 4; i++)
      expect(await receiveFlattr(db, clock, config, input(id, { period: "2027-04" }))).toEqual({
        ok: true,
        value: "duplicate",
      });
    const [stored] = await queryRows<{ n: string; period: string; peer: string }>(
      db,
      sql`select count(*)::text as n, min(period) as period, min(peer_host) as peer
          from incoming_flattrs where activity_id = ${id}`,
    );
    expect(stored).toEqual({ n: "1", period: "2027-04", peer: "peer.example" });
    // Another Like of the same thing and period while the first stands: refused.
    const second = await receiveFlattr(db, clock, config, input(likeId(), { period: "2027-04" }));
    expect(second.ok ? null : second.error.code).toBe("already_flattred");
    // Undone, it can be flattred again under a new id.
    expect(
      await withdrawIncoming(db, clock, {
        likeActivityId: id,
        undoActivityId: `${id}#undo`,
        actorUri: ann.uri,
        remember: true,
      }),
    ).toBe("withdrawn");
    expect(
      await withdrawIncoming(db, clock, {
        likeActivityId: id,
        undoActivityId: `${id}#undo`,
        actorUri: ann.uri,
        remember: true,
      }),
    ).toBe("already");
    expect(await row("incoming_flattrs", id)).toEqual({ withdrawn: true, undo: `${id}#undo` });
    expect(
      (await receiveFlattr(db, clock, config, input(likeId(), { period: "2027-04" }))).ok,
    ).toBe(true);
  });

  it("ends withdrawn when the Undo came first, and only for the Undo's actor", async () => {
    const id = likeId();
    const undo = { likeActivityId: id, undoActivityId: `${id}#undo`, remember: true };
    // Another actor of the same server cannot withdraw ann's Like in advance.
    const other = await remoteActor(db, clock, "peer.example", "mallory");
    expect(await withdrawIncoming(db, clock, { ...undo, actorUri: other.uri })).toBe("remembered");
    expect(await withdrawIncoming(db, clock, { ...undo, actorUri: ann.uri })).toBe("remembered");
    expect(await receiveFlattr(db, clock, config, input(id))).toEqual({
      ok: true,
      value: "recorded_withdrawn",
    });
    expect(await receiveFlattr(db, clock, config, input(id))).toEqual({
      ok: true,
      value: "duplicate",
    });
    expect(await row("incoming_flattrs", id)).toEqual({ withdrawn: true, undo: `${id}#undo` });
    // An Undo of a Like on another origin is nothing to remember.
    expect(
      await withdrawIncoming(db, clock, {
        likeActivityId: "https://elsewhere.example/flattrs/1",
        undoActivityId: `${ann.uri}#undo/1`,
        actorUri: ann.uri,
        remember: true,
      }),
    ).toBe("unknown");
  });

  it("refuses another currency, protocol, origin or a period far from now, storing nothing", async () => {
    const cases: [Partial<IncomingFlattrInput>, string][] = [
      [{ currency: "USD" }, "wrong_currency"],
      [{ protocolVersion: "99" }, "unknown_protocol"],
      [{ payerInstance: "https://elsewhere.example/actor" }, "payer_instance_mismatch"],
      [{ period: "2027-01" }, "period_out_of_range"],
      [{ period: "2027-07" }, "period_out_of_range"],
    ];
    for (const [over, code] of cases) {
      const id = likeId();
      const r = await receiveFlattr(db, clock, config, input(id, over));
      expect(r.ok ? null : r.error.code, code).toBe(code);
      expect(await row("incoming_flattrs", id)).toBeNull();
    }
    const forged = await receiveFlattr(
      db,
      clock,
      config,
      input("https://elsewhere.example/flattrs/2"),
    );
    expect(forged.ok ? null : forged.error.code).toBe("payer_instance_mismatch");
  });
});

describe("incoming flattrs of an object id, in one statement", () => {
  const DAY = 24 * 3600 * 1000;
  const of = (activityId: string, objectUri: string, over: Partial<IncomingFlattrInput> = {}) => {
    const { thingId: _, ...fields } = input(activityId, over);
    return { ...fields, objectUri };
  };
  const count = async (activityId: string) => {
    const [r] = await queryRows<{ n: string }>(
      db,
      sql`select count(*)::text as n from incoming_flattrs where activity_id = ${activityId}`,
    );
    return Number(r!.n);
  };

  it("stores a flattr of a local object from a peer checked lately, once, as receiveFlattr does", async () => {
    const owner = await makeUser(db, "Objekt");
    const { thing } = await registerThing(db, clock, config, owner, {
      url: "https://blog.example/objekt",
      title: "An object",
    });
    const objectUri = "https://here.example/objects/1";
    await db.execute(sql`update things set object_uri = ${objectUri} where id = ${thing.id}`);
    await markPeer(db, clock, config, "peer.example");

    const id = likeId();
    const stored = await receiveFlattrOfObject(db, clock, config, of(id, objectUri), DAY);
    expect(stored).toEqual({ ok: true, value: "recorded" });
    const [row] = await queryRows<{ thing: string }>(
      db,
      sql`select thing_id::text as thing from incoming_flattrs where activity_id = ${id}`,
    );
    expect(Number(row!.thing)).toBe(thing.id);
    expect(await receiveFlattrOfObject(db, clock, config, of(id, objectUri), DAY)).toEqual({
      ok: true,
      value: "duplicate",
    });
    const other = await receiveFlattrOfObject(db, clock, config, of(likeId(), objectUri), DAY);
    expect(other.ok ? other.value : other.error.code).toBe("already_flattred");
    expect(await count(id)).toBe(1);

    // An Undo that came first: stored withdrawn (another period, so not already flattred).
    const early = likeId();
    expect(
      await withdrawIncoming(db, clock, {
        likeActivityId: early,
        undoActivityId: `${early}#undo`,
        actorUri: ann.uri,
        remember: true,
      }),
    ).toBe("remembered");
    expect(
      await receiveFlattrOfObject(
        db,
        clock,
        config,
        of(early, objectUri, { period: "2027-04" }),
        DAY,
      ),
    ).toEqual({ ok: true, value: "recorded_withdrawn" });
  });

  it("leaves everything else to the long way, storing nothing: not a post, not a peer, stale, refusable", async () => {
    const owner = await makeUser(db, "Longway");
    const { thing } = await registerThing(db, clock, config, owner, {
      url: "https://blog.example/longway",
      title: "Another object",
    });
    const objectUri = "https://here.example/objects/2";
    await db.execute(sql`update things set object_uri = ${objectUri} where id = ${thing.id}`);
    const cases: [string, Parameters<typeof receiveFlattrOfObject>[3], number][] = [
      // A profile or a thing page is found by localThingForObject, not by its object id.
      ["profile", of(likeId(), "https://here.example/users/Longway"), DAY],
      ["thing page", of(likeId(), `https://here.example/things/${thing.id}`), DAY],
      ["nothing of ours", of(likeId(), "https://here.example/objects/404"), DAY],
      // peer.example was checked at the clock's now: a maximum age of 0 ms still counts it.
      ["checked too long ago", of(likeId(), objectUri), -1],
      ["wrong currency", of(likeId(), objectUri, { currency: "USD" }), DAY],
      ["far period", of(likeId(), objectUri, { period: "2026-01" }), DAY],
    ];
    for (const [what, flattr, maxAge] of cases) {
      const result = await receiveFlattrOfObject(db, clock, config, flattr, maxAge);
      expect({ what, result }).toEqual({ what, result: { ok: true, value: "unresolved" } });
      expect(await count(flattr.activityId)).toBe(0);
    }
    // A server that is not a peer (any more).
    await markPeer(db, clock, config, "peer.example", false);
    try {
      const id = likeId();
      expect(await receiveFlattrOfObject(db, clock, config, of(id, objectUri), DAY)).toEqual({
        ok: true,
        value: "unresolved",
      });
      expect(await count(id)).toBe(0);
    } finally {
      await markPeer(db, clock, config, "peer.example");
    }
    const id = likeId();
    expect(await receiveFlattrOfObject(db, clock, config, of(id, objectUri), 0)).toEqual({
      ok: true,
      value: "recorded",
    });
  });
});

describe("favourites", () => {
  it("are counted once per Like id and withdrawn by an Undo, also one that came first", async () => {
    const bob = await remoteActor(db, clock, "masto.example", "bob");
    const id = "https://masto.example/users/bob#likes/1";
    const fav = { activityId: id, actor: bob, thingId };
    expect(await recordFavourite(db, clock, fav)).toBe("recorded");
    expect(await recordFavourite(db, clock, fav)).toBe("duplicate");
    const undo = { likeActivityId: id, undoActivityId: `${id}/undo`, actorUri: bob.uri };
    expect(await withdrawIncoming(db, clock, { ...undo, remember: true })).toBe("withdrawn");
    expect(await row("favourites", id)).toEqual({ withdrawn: true, undo: `${id}/undo` });

    const early = "https://masto.example/users/bob#likes/2";
    expect(
      await withdrawIncoming(db, clock, {
        likeActivityId: early,
        undoActivityId: `${early}/undo`,
        actorUri: bob.uri,
        remember: true,
      }),
    ).toBe("remembered");
    expect(await recordFavourite(db, clock, { ...fav, activityId: early })).toBe(
      "recorded_withdrawn",
    );
  });
});

describe("local objects", () => {
  it("maps our actor ids, thing pages and object ids to local things, and nothing else", async () => {
    const alice = await makeUser(db, "Alice");
    const { thing: page } = await registerThing(db, clock, config, alice, {
      url: "https://blog.example/post",
      title: "A post",
    });
    const at = (path: string) =>
      localThingForObject(db, clock, config, `https://here.example${path}`);
    const profile = await at("/users/Alice");
    expect(profile).toBe((await profileThing(db, clock, config, alice)).id);
    expect(await at("/users/alice")).toBeNull(); // not the canonical id
    expect(await at("/users/nobody")).toBeNull();
    expect(await at(`/things/${page.id}`)).toBe(page.id);
    expect(await at("/things/999999")).toBeNull();
    expect(await at(`/things/${page.id}?x=1`)).toBeNull();
    await db.execute(
      sql`update things set object_uri = 'https://here.example/pages/1' where id = ${page.id}`,
    );
    expect(await at("/pages/1")).toBe(page.id);
    expect(await localThingForObject(db, clock, config, "https://blog.example/post")).toBeNull();
    expect(await localThingForObject(db, clock, config, "not a url")).toBeNull();
  });
});
