// Settlement edges between two real instances over loopback HTTP (issue 10 points 3 and 6): a
// summary naming a Like whose delivery was lost, which the creator's instance fetches from its
// id (signed GET) and records before it credits; and signed transfer notices both ways, with the
// mismatches both admins see, redelivery that changes nothing, and a notice by a user's key
// refused. A peer's notice never moves money. Ledger checks on both.
import { signRequest } from "@fedify/fedify";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import { INSTANCE_ACTOR } from "../../src/federation/actors.ts";
import { federationContext } from "../../src/federation/federation.ts";
import { ensurePeerKnown } from "../../src/federation/peer-info.ts";
import { signJson } from "../../src/federation/settlement/proof.ts";
import { settlementRound } from "../../src/federation/settlement/worker.ts";
import { buildTransferNotice } from "../../src/federation/vocab/transfer-notice.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { balanceOf, clearingAccount, earningsAccount } from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { nextPeriod, periodBounds } from "../../src/periods/period.ts";
import { clearingPositions, recordTransfer } from "../../src/settlement/clearing.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { findSent } from "../../src/settlement/summaries/sent.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import {
  cacheActor,
  expectLedgersSound,
  fundedUser,
  incomingFlattrs,
  localPostThing,
} from "./money-support.ts";
import { insertUser, waitFor } from "./support.ts";

let one: TestInstance; // Alice pays here
let two: TestInstance; // Bob and Cy create here
let db1: Db;
let db2: Db;
let bobId: number;
let cyId: number;
let period: string;
let lostLike: string;
const hostOf = (origin: string) => new URL(origin).host;

beforeAll(async () => {
  [one, two] = await Promise.all([startTestInstance(), startTestInstance()]);
  db1 = one.deps.database.db;
  db2 = two.deps.database.db;
  const aliceId = await fundedUser(one, "Alice");
  bobId = await insertUser(two, "Bob");
  cyId = await insertUser(two, "Cy");
  for (const [name, id] of [
    ["Bob", bobId],
    ["Cy", cyId],
  ] as const) {
    const postUri = `${two.origin}/users/${name}/statuses/1`;
    await localPostThing(two, id, postUri);
    const author = await cacheActor(one, `${two.origin}/users/${name}`);
    const post = await remoteThingFor(db1, one.deps.clock, author, {
      kind: "note",
      objectUri: postUri,
      title: `${name}'s post`,
    });
    const f = await flattr(db1, one.deps.clock, one.deps.config, aliceId, post.id);
    period = f.period;
  }
  expect((await ensurePeerKnown(one.deps, hostOf(two.origin))).speaksFlattr).toBe(true);
  await waitFor(async () => ((await incomingFlattrs(two)).length === 2 ? true : null), 90_000);
  // Cy's Like is lost on the way: two never recorded it.
  const [lost] = await queryRows<{ activity_id: string }>(
    db2,
    sql`delete from incoming_flattrs i using things t
        where t.id = i.thing_id and t.owner_id = ${cyId} returning i.activity_id`,
  );
  lostLike = lost!.activity_id;
  await admitPeer(db1, one.deps.clock, one.deps.config, hostOf(two.origin));
  await admitPeer(db2, two.deps.clock, two.deps.config, hostOf(one.origin));
  const after = periodBounds(nextPeriod(period), one.deps.config.timeZone).start;
  await closePeriod(
    db1,
    fixedClock(new Date(after.getTime() + 86_400_000)),
    one.deps.config,
    period,
  );
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
});

describe("a Like that never arrived", () => {
  it("is fetched from its id, checked, recorded, and the summary credited", async () => {
    expect((await incomingFlattrs(two)).map((r) => r.activity_id)).not.toContain(lostLike);
    const share = await balanceOf(db1, clearingAccount(hostOf(two.origin)), "EUR");
    expect(share).toBeGreaterThan(0n);
    expect(await settlementRound(one.federation, one.deps)).toMatchObject({ delivered: 1 });
    expect(await settlementRound(two.federation, two.deps)).toMatchObject({
      decided: 1,
      answered: 1,
    });
    const [kept] = await queryRows<{ state: string; message: string | null }>(
      db2,
      sql`select state, message from settlement_summaries_in`,
    );
    expect(kept, kept?.message ?? "").toMatchObject({ state: "accepted" });
    // Recorded as an incoming flattr of Cy's post, from one, in the summary's period.
    const [fetched] = await queryRows<{ peer_host: string; period: string; owner_id: string }>(
      db2,
      sql`select i.peer_host, i.period, t.owner_id::text from incoming_flattrs i
          join things t on t.id = i.thing_id where i.activity_id = ${lostLike}`,
    );
    expect(fetched).toEqual({ peer_host: hostOf(one.origin), period, owner_id: String(cyId) });
    const bob = await balanceOf(db2, earningsAccount(bobId), "EUR");
    const cy = await balanceOf(db2, earningsAccount(cyId), "EUR");
    expect(bob).toBeGreaterThan(0n);
    expect(bob + cy).toBe(share);
    expect((await findSent(db1, hostOf(two.origin), period))?.state).toBe("accepted");
    await expectLedgersSound(one, two);
  });
});

describe("transfer notices", () => {
  const h1 = () => hostOf(one.origin);
  const h2 = () => hostOf(two.origin);
  const position = async (db: Db, instance: TestInstance, peer: string) =>
    (await clearingPositions(db, instance.deps.config)).find((p) => p.peerHost === peer)!;
  const notices = (db: Db) =>
    queryRows<{ reference: string; direction: string; amount: string }>(
      db,
      sql`select reference, direction, amount::text from clearing_transfers
          where source = 'notice' order by reference, direction`,
    );

  it("tell the peer what was sent and received; both see the same, and a mismatch", async () => {
    const earnings = await balanceOf(db2, earningsAccount(bobId), "EUR");
    const net2 = await balanceOf(db2, clearingAccount(h1()), "EUR");
    const sent = await recordTransfer(db1, one.deps.clock, one.deps.config, {
      peer: h2(),
      amount: "1.00",
      reference: "SEPA-1",
      direction: "sent",
    });
    expect(sent.ok).toBe(true);
    expect(await settlementRound(one.federation, one.deps)).toMatchObject({ notices: 1 });
    expect(await notices(db2)).toEqual([{ reference: "SEPA-1", direction: "sent", amount: "100" }]);
    // The peer's word alone moves nothing: not received, not payable, shown as a mismatch.
    expect(await balanceOf(db2, clearingAccount(h1()), "EUR")).toBe(net2);
    expect(await balanceOf(db2, earningsAccount(bobId), "EUR")).toBe(earnings);
    const p2 = await position(db2, two, h1());
    expect(p2).toMatchObject({ received: 0n, noticedSent: 100n });
    expect(p2.mismatches.map((m) => [m.reference, m.ours, m.theirs])).toEqual([
      ["SEPA-1", null, 100n],
    ]);
    expect(p2.mismatches[0]!.message).toContain("not recorded as received here");
    // one sees that two has not confirmed it.
    expect((await position(db1, one, h2())).mismatches[0]!.message).toContain(
      "has not recorded receiving it",
    );

    // two's admin records it as received; its notice goes back; both agree.
    await recordTransfer(db2, two.deps.clock, two.deps.config, {
      peer: h1(),
      amount: "1.00",
      reference: "SEPA-1",
      direction: "received",
    });
    expect(await settlementRound(two.federation, two.deps)).toMatchObject({ notices: 1 });
    expect((await position(db2, two, h1())).mismatches).toEqual([]);
    expect((await position(db1, one, h2())).mismatches).toEqual([]);

    // Another transfer whose amounts differ: shown on both sides, with both amounts.
    await recordTransfer(db1, one.deps.clock, one.deps.config, {
      peer: h2(),
      amount: "2.00",
      reference: "SEPA-2",
      direction: "sent",
    });
    await recordTransfer(db2, two.deps.clock, two.deps.config, {
      peer: h1(),
      amount: "1.50",
      reference: "SEPA-2",
      direction: "received",
    });
    await settlementRound(one.federation, one.deps);
    await settlementRound(two.federation, two.deps);
    const on1 = (await position(db1, one, h2())).mismatches;
    const on2 = (await position(db2, two, h1())).mismatches;
    expect(on1.map((m) => [m.direction, m.reference, m.ours, m.theirs])).toEqual([
      ["sent", "SEPA-2", 200n, 150n],
    ]);
    expect(on2.map((m) => [m.direction, m.reference, m.ours, m.theirs])).toEqual([
      ["received", "SEPA-2", 150n, 200n],
    ]);
    await expectLedgersSound(one, two);
  });

  it("a notice delivered again changes nothing; a user's key and another amount are refused", async () => {
    const before = await notices(db2);
    await db1.execute(
      sql`update clearing_transfers set notice_due_at = now() - interval '1 second'
          where source = 'ours'`,
    );
    expect(await settlementRound(one.federation, one.deps)).toMatchObject({ notices: 2 });
    expect(await notices(db2)).toEqual(before);

    const ctx = federationContext(one.federation, one.deps);
    const post = async (identifier: string, actor: string, amount: bigint) => {
      const pairs = await ctx.getActorKeyPairs(identifier);
      const body = await signJson(
        buildTransferNotice({
          id: `${one.origin}/settlement/transfers/999`,
          actor,
          to: `${two.origin}/actor`,
          direction: "sent",
          amount,
          currency: "EUR",
          reference: "SEPA-1",
          published: new Date(),
        }),
        pairs[1]!.privateKey,
        pairs[1]!.multikey.id!,
        ctx.contextLoader,
        new Date(),
      );
      const request = await signRequest(
        new Request(`${two.origin}/inbox`, {
          method: "POST",
          headers: { "content-type": "application/activity+json" },
          body: JSON.stringify(body),
        }),
        pairs[0]!.privateKey,
        pairs[0]!.keyId,
      );
      return fetch(request);
    };
    const byAlice = await post("Alice", `${one.origin}/users/Alice`, 100n);
    expect(byAlice.status, await byAlice.clone().text()).toBe(401);
    expect(await byAlice.json()).toMatchObject({ reason: "signature" });
    const otherAmount = await post(INSTANCE_ACTOR, `${one.origin}/actor`, 5000n);
    expect(otherAmount.status, await otherAmount.clone().text()).toBe(409);
    expect(await notices(db2)).toEqual(before);
    await expectLedgersSound(one, two);
  });
});
