// Notifications written by the database where their events are recorded (src/db/sql/
// notification-triggers.sql), read, dismissed and cleared through src/social/notifications.ts.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { unwrap } from "../../src/errors.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { receiveFlattr, recordFavourite, withdrawIncoming } from "../../src/flattr/incoming.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import {
  addRemoteFollower,
  follow,
  removeRemoteFollower,
  unfollow,
} from "../../src/social/follows.ts";
import {
  clearNotifications,
  dismissNotification,
  getNotification,
  listNotifications,
  type Notification,
} from "../../src/social/notifications.ts";
import { noFederation, type SocialDeps } from "../../src/social/ports.ts";
import { createPost, deletePost } from "../../src/social/posts.ts";
import type { RemoteActor } from "../../src/social/remote-actors.ts";
import { type IncomingNote, storeRemoteNote } from "../../src/social/remote-notes.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";
import { markPeer, remoteActor } from "../helpers/remote.ts";

let database: Database;
let db: Db;
let deps: SocialDeps;
const config = testConfig({ ORIGIN: "https://here.example" });
const clock = fixedClock("2027-05-20T12:00:00Z");
let alice: number;
let bob: number;
let ann: RemoteActor;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  deps = { db, clock, config, federation: noFederation };
  alice = await makeUser(db, "alice");
  bob = await makeUser(db, "bob");
  await setBudget(db, clock, config, bob, 500n);
  ann = await remoteActor(db, clock, "peer.example", "ann");
  await markPeer(db, clock, config, "peer.example");
});
afterAll(async () => {
  await database?.close();
});

const all = (userId: number, extra = {}) => listNotifications(db, userId, { limit: 40, ...extra });
const brief = (n: Notification) => [n.type, n.flattr, n.fromUserId ?? n.fromRemoteActorId];

async function post(userId: number, content: string) {
  return unwrap(await createPost(deps, userId, { content }));
}

let likes = 0;
const likeId = () => `https://peer.example/flattrs/${String(++likes).padStart(32, "0")}`;

describe("notifications", () => {
  it("are written for flattrs of a post, local and remote, and for plain favourites; undos delete them", async () => {
    const p = await post(alice, "Hello world");
    await flattr(db, clock, config, bob, p.thingId);
    const flattrLike = likeId();
    unwrap(
      await receiveFlattr(db, clock, config, {
        activityId: flattrLike,
        payer: { id: ann.id, uri: ann.uri, host: ann.host },
        thingId: p.thingId,
        period: "2027-05",
        currency: config.currency,
        payerInstance: "https://peer.example/actor",
        protocolVersion: "1",
      }),
    );
    clock.advance(1000);
    const favLike = likeId();
    await recordFavourite(db, clock, {
      activityId: favLike,
      actor: { id: ann.id, uri: ann.uri },
      thingId: p.thingId,
    });
    const list = await all(alice);
    expect(list.map(brief)).toEqual([
      ["favourite", false, ann.id],
      ["favourite", true, ann.id],
      ["favourite", true, bob],
    ]);
    expect(list.every((n) => n.statusId === p.id)).toBe(true);
    // Ids sort by time and are unique even within one millisecond.
    expect(list[0]!.id > list[1]!.id && list[1]!.id > list[2]!.id).toBe(true);
    expect(list[2]!.id >> 16n).toBe(BigInt(new Date("2027-05-20T12:00:00Z").getTime()));

    // Nobody is told of their own actions: bob's notifications are empty.
    expect(await all(bob)).toEqual([]);

    // Undos take the notifications back; a new flattr in the period notifies again.
    await unflattr(db, clock, config, bob, p.thingId);
    await withdrawIncoming(db, clock, {
      likeActivityId: favLike,
      undoActivityId: `${favLike}#undo`,
      actorUri: ann.uri,
      remember: false,
    });
    expect((await all(alice)).map(brief)).toEqual([["favourite", true, ann.id]]);
    await flattr(db, clock, config, bob, p.thingId);
    expect((await all(alice)).map(brief)).toEqual([
      ["favourite", true, bob],
      ["favourite", true, ann.id],
    ]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("are written for follows, local and remote, and deleted by unfollowing", async () => {
    const carol = await makeUser(db, "carol");
    const dave = await makeUser(db, "dave");
    unwrap(await follow(deps, dave, "@carol"));
    await addRemoteFollower(db, clock, {
      userId: carol,
      actor: ann,
      followId: "https://peer.example/follows/1",
    });
    // A repeated Follow is not a second notification.
    await addRemoteFollower(db, clock, {
      userId: carol,
      actor: ann,
      followId: "https://peer.example/follows/2",
    });
    expect((await all(carol)).map(brief)).toEqual([
      ["follow", false, ann.id],
      ["follow", false, dave],
    ]);
    await unfollow(deps, dave, "https://here.example/users/carol");
    await removeRemoteFollower(db, {
      actorUri: ann.uri,
      followId: "https://peer.example/follows/2",
    });
    expect(await all(carol)).toEqual([]);
  });

  it("are written for mentions, once per post, and not for mentioning yourself", async () => {
    const erin = await makeUser(db, "erin");
    const note: IncomingNote = {
      uri: "https://peer.example/notes/1",
      url: null,
      contentHtml: "<p>hi @erin</p>",
      summary: "",
      inReplyToUri: null,
      visibility: "public",
      publishedAt: clock.now(),
      editedAt: null,
      authorUri: ann.uri,
      mentions: [{ actorUri: "https://here.example/users/erin", userId: erin }],
    };
    const stored = await storeRemoteNote(db, clock, ann, note);
    // An Update rewrites the mentions: still one notification.
    await storeRemoteNote(db, clock, ann, { ...note, contentHtml: "<p>hi again @erin</p>" });
    await post(erin, "Note to self @erin");
    const local = await post(bob, "@erin look");
    const list = await all(erin);
    expect(list.map((n) => [n.type, n.statusId])).toEqual([
      ["mention", local.id],
      ["mention", stored!.id],
    ]);
    // Dismissed stays dismissed when the note is delivered again.
    expect(await dismissNotification(db, clock, erin, list[1]!.id)).toBe(true);
    await storeRemoteNote(db, clock, ann, note);
    expect((await all(erin)).map((n) => n.statusId)).toEqual([local.id]);
    // A deleted post's notifications are not shown.
    unwrap(await deletePost(deps, bob, local.id));
    expect(await all(erin)).toEqual([]);
  });

  it("are paged, filtered, shown, dismissed and cleared per user", async () => {
    const fay = await makeUser(db, "fay");
    const followersOf = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      const u = await makeUser(db);
      followersOf.push(u);
      unwrap(await follow(deps, u, "@fay"));
    }
    const p = await post(fay, "flattr me");
    clock.advance(1000);
    await flattr(db, clock, config, bob, p.thingId);
    const list = await all(fay);
    expect(list.map((n) => n.type)).toEqual(["favourite", ...Array(5).fill("follow")]);
    const ids = list.map((n) => n.id);

    expect((await all(fay, { types: ["favourite"] })).map((n) => n.id)).toEqual([ids[0]]);
    expect((await all(fay, { excludeTypes: ["favourite"] })).map((n) => n.id)).toEqual(
      ids.slice(1),
    );
    expect((await all(fay, { accountId: BigInt(followersOf[0]!) })).map((n) => n.id)).toEqual([
      ids[5],
    ]);
    expect((await all(fay, { maxId: ids[1], limit: 2 })).map((n) => n.id)).toEqual(ids.slice(2, 4));
    expect((await all(fay, { sinceId: ids[4], limit: 2 })).map((n) => n.id)).toEqual(
      ids.slice(0, 2),
    );
    expect((await all(fay, { minId: ids[4], limit: 2 })).map((n) => n.id)).toEqual(ids.slice(2, 4));

    expect(await getNotification(db, fay, ids[0]!)).toMatchObject({ type: "favourite" });
    expect(await getNotification(db, bob, ids[0]!)).toBeNull();
    expect(await dismissNotification(db, clock, bob, ids[0]!)).toBe(false);
    expect(await dismissNotification(db, clock, fay, ids[0]!)).toBe(true);
    expect(await dismissNotification(db, clock, fay, ids[0]!)).toBe(false);
    expect(await getNotification(db, fay, ids[0]!)).toBeNull();
    await clearNotifications(db, clock, fay);
    expect(await all(fay)).toEqual([]);
  });

  it("never make a flattr fail: many flattrs in one statement each get a notification", async () => {
    const gus = await makeUser(db, "gus");
    const p = await post(gus, "popular");
    const payers = [];
    for (let i = 0; i < 30; i++) payers.push(await makeUser(db));
    // One statement, one timestamp: the ids still differ.
    await db.execute(
      sql`insert into flattrs (thing_id, payer_id, period, created_at)
          select ${p.thingId}, u, '2027-05', ${clock.now().toISOString()}::timestamptz
            from unnest(${`{${payers.join(",")}}`}::int8[]) u`,
    );
    const [row] = await queryRows<{ n: string; ids: string }>(
      db,
      sql`select count(*)::text as n, count(distinct id)::text as ids from notifications
           where user_id = ${gus}`,
    );
    expect(row).toEqual({ n: "30", ids: "30" });
  });
});
