// A flattr across two Fediflattr instances over loopback HTTP with real signatures: the Like
// with the extension becomes an incoming flattr on the creator's instance, unflattr's Undo
// withdraws it, the Like id dereferences (410 once withdrawn), linking an account withdraws and
// refuses, and the payer's close routes the creator's share to clearing:<peer> with the very Like
// ids the peer holds as evidence.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import { INSTANCE_ACTOR } from "../../src/federation/actors.ts";
import { federationContext } from "../../src/federation/federation.ts";
import { ensurePeerKnown } from "../../src/federation/peer-info.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { linkRemoteActor } from "../../src/flattr/linked-actors.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { profileThing, type Thing } from "../../src/flattr/things.ts";
import { balanceOf, clearingAccount } from "../../src/ledger/index.ts";
import { periodBounds } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import type { RemoteActor } from "../../src/social/remote-actors.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import {
  cacheActor,
  expectLedgersSound,
  fundedUser,
  incomingFlattrs,
  localPostThing,
  settled,
} from "./money-support.ts";
import { getJson, insertUser, waitFor } from "./support.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers.
type Json = any;

let one: TestInstance; // Alice pays here
let two: TestInstance; // Bob creates here
let db1: Db;
let aliceId: number;
let bobId: number;
let bob: RemoteActor;
let postUri: string;
let bobPost: number; // on two
let post: Thing; // on one
let profile: Thing; // on one
const hostOf = (origin: string) => new URL(origin).host;

beforeAll(async () => {
  [one, two] = await Promise.all([startTestInstance(), startTestInstance()]);
  db1 = one.deps.database.db;
  aliceId = await fundedUser(one, "Alice");
  bobId = await insertUser(two, "Bob");
  postUri = `${two.origin}/users/Bob/statuses/1`;
  bobPost = await localPostThing(two, bobId, postUri);
  bob = await cacheActor(one, `${two.origin}/users/Bob`);
  expect((await ensurePeerKnown(one.deps, hostOf(two.origin))).speaksFlattr).toBe(true);
  const clock = one.deps.clock;
  post = await remoteThingFor(db1, clock, bob, {
    kind: "note",
    objectUri: postUri,
    title: "A post",
  });
  profile = await remoteThingFor(db1, clock, bob, {
    kind: "profile",
    objectUri: bob.uri,
    title: "Bob",
  });
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
});

const likeIdOf = async (flattrId: number) => {
  const [row] = await queryRows<{ like_id: string }>(
    db1,
    sql`select like_id from flattrs where id = ${flattrId}::int8`,
  );
  return `${one.origin}/flattrs/${row!.like_id}`;
};

describe("a flattr of a creator on another Fediflattr instance", () => {
  it("arrives as an incoming flattr of the post and of the profile, in the payer's period", async () => {
    const { config, clock } = one.deps;
    const f1 = await flattr(db1, clock, config, aliceId, post.id);
    const f2 = await flattr(db1, clock, config, aliceId, profile.id);
    const rows = await waitFor(async () => {
      const r = await incomingFlattrs(two);
      return r.length === 2 ? r : null;
    });
    const bobProfile = await profileThing(
      two.deps.database.db,
      two.deps.clock,
      two.deps.config,
      bobId,
    );
    // Deliveries run concurrently (QUEUE_CONCURRENCY): either Like may arrive first.
    const byActivity = (a: { activity_id: string }, b: { activity_id: string }) =>
      a.activity_id < b.activity_id ? -1 : 1;
    expect([...rows].sort(byActivity)).toEqual(
      [
        {
          activity_id: await likeIdOf(f1.id),
          peer_host: hostOf(one.origin),
          actor: `${one.origin}/users/Alice`,
          thing_id: String(bobPost),
          period: f1.period,
          withdrawn: false,
        },
        {
          activity_id: await likeIdOf(f2.id),
          peer_host: hostOf(one.origin),
          actor: `${one.origin}/users/Alice`,
          thing_id: String(bobProfile.id),
          period: f2.period,
          withdrawn: false,
        },
      ].sort(byActivity),
    );
  });

  it("counts for the creator (earnings API, remote flagged) and shows the payer where it goes", async () => {
    const [first] = await incomingFlattrs(two);
    const api = async (instance: TestInstance, userId: number, path: string) => {
      const { token } = await createToken(instance.deps.database.db, instance.deps.clock, userId, {
        name: "test",
        scopes: ["read"],
      });
      const res = await fetch(`${instance.origin}/api/flattr/v1${path}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Json;
    };
    const earnings = await api(two, bobId, `/me/earnings?period=${first!.period}`);
    expect(earnings).toMatchObject({ flattrs: 2, remote_flattrs: 2, total: "0.00" });
    expect(earnings.things.map((t: Json) => [t.flattrs, t.remote_flattrs])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    const mine = await api(one, aliceId, `/me/flattrs?period=${first!.period}`);
    expect(mine.flattrs.map((f: Json) => f.creator)).toEqual([
      { kind: "peer", host: hostOf(two.origin), frozen: false },
      { kind: "peer", host: hostOf(two.origin), frozen: false },
    ]);
    expect(mine.flattrs[0].thing.owner.username).toBe(`Bob@${hostOf(two.origin)}`);
  });

  it("answers its Like id as JSON-LD to unsigned and signed GETs", async () => {
    // The post's Like (the two may have arrived in either order).
    const first = (await incomingFlattrs(two)).find((r) => r.thing_id === String(bobPost));
    const unsigned = await getJson(first!.activity_id);
    expect(unsigned.status).toBe(200);
    expect(unsigned.body).toMatchObject({
      id: first!.activity_id,
      type: "Like",
      actor: `${one.origin}/users/Alice`,
      object: postUri,
      to: bob.uri,
      flattrPeriod: first!.period,
      flattrPayerInstance: `${one.origin}/actor`,
      flattrCurrency: "EUR",
    });
    const ctx = federationContext(two.federation, two.deps);
    const loader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
    const signed = await loader(first!.activity_id);
    expect((signed.document as { id: string }).id).toBe(first!.activity_id);
    expect((await getJson(`${one.origin}/flattrs/${"0".repeat(32)}`)).status).toBe(404);
    expect((await getJson(`${one.origin}/flattrs/not-an-id`)).status).toBe(404);
  });

  it("unflattr sends Undo(Like): the peer withdraws it and the Like id answers 410", async () => {
    const { config, clock } = one.deps;
    const withdrawn = await unflattr(db1, clock, config, aliceId, post.id);
    const likeId = await likeIdOf(withdrawn.id);
    await waitFor(
      async () => (await incomingFlattrs(two)).find((r) => r.activity_id === likeId)?.withdrawn,
    );
    expect((await getJson(likeId)).status).toBe(410);
    // Flattred again: a new Like, a new incoming flattr beside the withdrawn one.
    const again = await flattr(db1, clock, config, aliceId, post.id);
    const againId = await likeIdOf(again.id);
    expect(againId).not.toBe(likeId);
    await waitFor(async () => (await incomingFlattrs(two)).some((r) => r.activity_id === againId));
  });

  it("linking a remote account to oneself withdraws its flattrs (Undo sent) and refuses new ones", async () => {
    const { config, clock } = one.deps;
    await insertUser(two, "AliceElsewhere");
    const alt = await cacheActor(one, `${two.origin}/users/AliceElsewhere`);
    const altProfile = await remoteThingFor(db1, clock, alt, {
      kind: "profile",
      objectUri: alt.uri,
      title: "Alice elsewhere",
    });
    const f = await flattr(db1, clock, config, aliceId, altProfile.id);
    const likeId = await likeIdOf(f.id);
    await waitFor(async () => (await incomingFlattrs(two)).some((r) => r.activity_id === likeId));
    const linked = await linkRemoteActor(db1, clock, config, aliceId, alt.id);
    expect(linked.withdrawn).toEqual([f.id]);
    await waitFor(
      async () => (await incomingFlattrs(two)).find((r) => r.activity_id === likeId)?.withdrawn,
    );
    await expect(flattr(db1, clock, config, aliceId, altProfile.id)).rejects.toMatchObject({
      code: "own_thing",
    });
  });

  it("the payer's close sends the creator's share to clearing:<peer>, with Like ids the peer holds", async () => {
    await settled(one, two);
    const { config } = one.deps;
    const [{ period } = { period: "" }] = await incomingFlattrs(two);
    const afterEnd = new Date(periodBounds(period, config.timeZone).end.getTime() + 86400_000);
    await closePeriod(db1, fixedClock(afterEnd), config, period);

    const shares = await queryRows<{
      amount: string;
      route: string;
      peer_host: string;
      like_ids: string[] | string;
    }>(
      db1,
      sql`select amount::text, route, peer_host, like_ids from remote_shares
          where period = ${period} and remote_actor_id = ${bob.id}::int8`,
    );
    expect(shares).toHaveLength(1);
    const share = shares[0]!;
    expect(share).toMatchObject({ amount: "500", route: "peer", peer_host: hostOf(two.origin) });
    expect(await balanceOf(db1, clearingAccount(hostOf(two.origin)), config.currency)).toBe(500n);
    // The evidence the peer will check the summary's line against (issue 10): every Like id of
    // the share is an active incoming flattr of Bob's things there, in that period.
    const likeIds = (
      Array.isArray(share.like_ids)
        ? share.like_ids
        : share.like_ids.replace(/[{}]/g, "").split(",")
    ).map((id) => `${one.origin}/flattrs/${id}`);
    expect(likeIds).toHaveLength(2);
    const active = (await incomingFlattrs(two)).filter((r) => !r.withdrawn && r.period === period);
    expect(active.map((r) => r.activity_id).sort()).toEqual(likeIds.sort());
    await expectLedgersSound(one, two);
  });
});
