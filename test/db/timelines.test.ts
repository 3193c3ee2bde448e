import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { following } from "../../src/db/schema/index.ts";
import { unwrap } from "../../src/errors.ts";
import { follow } from "../../src/social/follows.ts";
import { noFederation, type SocialDeps } from "../../src/social/ports.ts";
import { createPost, deletePost } from "../../src/social/posts.ts";
import { upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { upsertRemoteStatus, type Visibility } from "../../src/social/remote-statuses.ts";
import { homeTimeline } from "../../src/social/timelines.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

// The home timeline the web home page shows (and the Mastodon API will serve): own posts and the
// live statuses of accepted follows, local and remote, newest first, in id ranges.
let database: Database;
let deps: SocialDeps;
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));
const config = testConfig({ ORIGIN: "https://here.example" });

beforeAll(async () => {
  database = await createTestDatabase();
  deps = { db: database.db, clock, config, federation: noFederation };
});
afterAll(async () => {
  await database?.close();
});

async function remote(name: string) {
  return upsertRemoteActor(deps.db, clock, {
    uri: `https://remote.example/users/${name}`,
    type: "Person",
    handle: `${name}@remote.example`,
    name,
    summaryHtml: "",
    url: `https://remote.example/@${name}`,
    iconUrl: null,
    inboxUrl: `https://remote.example/users/${name}/inbox`,
    sharedInboxUrl: null,
    followersUrl: null,
    paymentUrl: null,
  });
}

async function remoteNote(actorId: bigint, n: number, visibility: Visibility = "public") {
  clock.advance(1000);
  return upsertRemoteStatus(deps.db, clock, {
    uri: `https://remote.example/notes/${n}`,
    url: null,
    remoteActorId: actorId,
    contentHtml: `<p>remote ${n}</p>`,
    summary: "",
    inReplyToUri: null,
    visibility,
    publishedAt: clock.now(),
    editedAt: null,
  });
}

describe("homeTimeline", () => {
  it("has own posts and followed accounts' live statuses, newest first, in pages", async () => {
    const me = await makeUser(deps.db, "me");
    const friend = await makeUser(deps.db, "friend");
    const stranger = await makeUser(deps.db, "stranger");
    const bob = await remote("bob");
    const zed = await remote("zed");
    unwrap(await follow(deps, me, "@friend"));
    // A remote follow, accepted (the adapter would have sent the Follow and got the Accept).
    await deps.db.insert(following).values({
      userId: me,
      actorUri: bob.uri,
      remoteActorId: bob.id,
      inboxUrl: bob.inboxUrl!,
      followId: "https://here.example/users/me#follows/1",
      acceptedAt: clock.now(),
      createdAt: clock.now(),
    });

    const post = async (userId: number, text: string) => {
      clock.advance(1000);
      return unwrap(await createPost(deps, userId, { content: text }));
    };
    await post(me, "mine");
    await post(friend, "friend's");
    await post(stranger, "stranger's");
    const gone = await post(friend, "deleted");
    unwrap(await deletePost(deps, friend, gone.id));
    await remoteNote(bob.id, 1);
    await remoteNote(bob.id, 2, "direct");
    await remoteNote(bob.id, 3, "private");
    await remoteNote(zed.id, 4);

    const all = await homeTimeline(deps.db, config, me, { limit: 20 });
    expect(all.map((e) => e.contentHtml.replace(/<\/?p>/g, ""))).toEqual([
      "remote 3",
      "remote 1",
      "friend&#39;s",
      "mine",
    ]);
    expect(all[1]!.author).toMatchObject({ handle: "bob@remote.example", userId: null });
    expect(all[2]!.author).toMatchObject({
      handle: "friend@here.example",
      userId: friend,
      url: "https://here.example/@friend",
    });
    expect(all[2]!.thingId).not.toBeNull();
    const ids = all.map((e) => e.id);
    expect([...ids].sort((a, b) => (a < b ? 1 : -1))).toEqual(ids);

    const older = await homeTimeline(deps.db, config, me, { maxId: ids[1]!, limit: 1 });
    expect(older.map((e) => e.id)).toEqual([ids[2]]);
    const newer = await homeTimeline(deps.db, config, me, { minId: ids[2]!, limit: 20 });
    expect(newer.map((e) => e.id)).toEqual([ids[0], ids[1]]);
  });
});
