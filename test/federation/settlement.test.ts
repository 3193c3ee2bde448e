// Settlement summaries between two real instances over loopback HTTP (issue 10 points 2, 3):
// the payer instance's worker builds and sends the signed Offer after the close, the creator's
// instance fetches the lines with signed GETs, credits its creator and answers Accept; a
// redelivery changes nothing; a user's key instead of the instance actor, and a broken proof,
// are refused with reason `signature` and nothing kept or moved. Ledger checks on both.
import { signRequest } from "@fedify/fedify";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import { INSTANCE_ACTOR } from "../../src/federation/actors.ts";
import { federationContext } from "../../src/federation/federation.ts";
import { ensurePeerKnown, refreshPeer } from "../../src/federation/peer-info.ts";
import { signJson } from "../../src/federation/settlement/proof.ts";
import { settlementRound } from "../../src/federation/settlement/worker.ts";
import { buildSummaryOffer } from "../../src/federation/vocab/settlement.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { balanceOf, clearingAccount, earningsAccount } from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { findPeer, recordPeerInfo } from "../../src/peers/peers.ts";
import { nextPeriod, periodBounds } from "../../src/periods/period.ts";
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
let two: TestInstance; // Bob creates here
let db1: Db;
let db2: Db;
let bobId: number;
let period: string;
const hostOf = (origin: string) => new URL(origin).host;

beforeAll(async () => {
  [one, two] = await Promise.all([startTestInstance(), startTestInstance()]);
  db1 = one.deps.database.db;
  db2 = two.deps.database.db;
  const aliceId = await fundedUser(one, "Alice");
  bobId = await insertUser(two, "Bob");
  const postUri = `${two.origin}/users/Bob/statuses/1`;
  await localPostThing(two, bobId, postUri);
  const bob = await cacheActor(one, `${two.origin}/users/Bob`);
  expect((await ensurePeerKnown(one.deps, hostOf(two.origin))).speaksFlattr).toBe(true);
  const post = await remoteThingFor(db1, one.deps.clock, bob, {
    kind: "note",
    objectUri: postUri,
    title: "A post",
  });
  const f = await flattr(db1, one.deps.clock, one.deps.config, aliceId, post.id);
  period = f.period;
  await waitFor(async () => ((await incomingFlattrs(two)).length === 1 ? true : null), 90_000);
  // Each admits the other; the payer's period closes.
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

const receivedRows = (db: Db) =>
  queryRows<{ state: string; reason: string | null; raw: string }>(
    db,
    sql`select state, reason, raw from settlement_summaries_in order by id`,
  );

describe("a summary between two instances", () => {
  it("is sent after the close, fetched with signed GETs, credited, accepted", async () => {
    const share = await balanceOf(db1, clearingAccount(hostOf(two.origin)), "EUR");
    expect(share).toBeGreaterThan(0n);
    const first = await settlementRound(one.federation, one.deps);
    expect(first).toMatchObject({ built: 1, delivered: 1 });
    const [kept] = await receivedRows(db2);
    const sent = await findSent(db1, hostOf(two.origin), period);
    expect(kept, sent?.lastError ?? "").toMatchObject({ state: "received" });
    // The raw body is kept as signed: with its proof.
    expect(JSON.parse(kept!.raw).proof.cryptosuite).toBe("eddsa-jcs-2022");

    const second = await settlementRound(two.federation, two.deps);
    expect(second).toMatchObject({ decided: 1, answered: 1 });
    expect(await balanceOf(db2, earningsAccount(bobId), "EUR")).toBe(share);
    expect(await balanceOf(db2, clearingAccount(hostOf(one.origin)), "EUR")).toBe(-share);
    expect((await findSent(db1, hostOf(two.origin), period))?.state).toBe("accepted");
    await expectLedgersSound(one, two);
  });

  it("delivered twice: nothing changes, answered again", async () => {
    const s = (await findSent(db1, hostOf(two.origin), period))!;
    await db1.execute(
      sql`update settlement_summaries_out set state = 'sent', next_attempt_at = now() - interval '1 second'
          where id = ${s.id}`,
    );
    expect((await settlementRound(one.federation, one.deps)).delivered).toBe(1);
    expect((await settlementRound(two.federation, two.deps)).answered).toBe(1);
    expect((await findSent(db1, hostOf(two.origin), period))?.state).toBe("accepted");
    expect(await receivedRows(db2)).toHaveLength(1);
    expect(await balanceOf(db2, clearingAccount(hostOf(one.origin)), "EUR")).toBe(-s.total);
    await expectLedgersSound(one, two);
  });

  it("stores the peer's instance inbox; a delivery that fails there looks it up again", async () => {
    const twoHost = hostOf(two.origin);
    const inboxOf = async (db: Db, host: string) =>
      (await findPeer(db, host))?.instanceInbox ?? null;
    // Learned by the first delivery (one → two) and by the answer (two → one).
    expect(await inboxOf(db1, twoHost)).toBe(`${two.origin}/inbox`);
    expect(await inboxOf(db2, hostOf(one.origin))).toBe(`${one.origin}/inbox`);
    // A NodeInfo read naming the same actor keeps it; one naming another actor drops it.
    await refreshPeer(one.deps, twoHost, "http");
    expect(await inboxOf(db1, twoHost)).toBe(`${two.origin}/inbox`);
    // A stale inbox: the delivery fails, the inbox is forgotten, the next one looks it up.
    await db1.execute(
      sql`update peers set instance_inbox = ${`${two.origin}/nowhere`} where host = ${twoHost}`,
    );
    const s = (await findSent(db1, twoHost, period))!;
    const due = sql`update settlement_summaries_out set state = 'sent',
                      next_attempt_at = now() - interval '1 second' where id = ${s.id}`;
    await db1.execute(due);
    expect((await settlementRound(one.federation, one.deps)).delivered).toBe(1);
    expect((await findSent(db1, twoHost, period))?.lastError).toContain("/nowhere answered 404");
    expect(await inboxOf(db1, twoHost)).toBeNull();
    await db1.execute(due);
    expect((await settlementRound(one.federation, one.deps)).delivered).toBe(1);
    expect((await findSent(db1, twoHost, period))?.lastError).toBeNull();
    expect(await inboxOf(db1, twoHost)).toBe(`${two.origin}/inbox`);
    expect((await settlementRound(two.federation, two.deps)).answered).toBe(1);
    expect((await findSent(db1, twoHost, period))?.state).toBe("accepted");
    const peer = (await findPeer(db1, twoHost))!;
    await recordPeerInfo(db1, one.deps.clock, one.deps.config, twoHost, {
      software: peer.software,
      version: peer.version,
      flattr: {
        protocolVersion: peer.protocolVersion!,
        currency: peer.currency!,
        feeBasisPoints: peer.feeBp,
        timeZone: peer.timeZone,
        settlementDay: peer.settlementDay,
        instanceActor: `${two.origin}/users/Bob`,
      },
    });
    expect(await inboxOf(db1, twoHost)).toBeNull();
    await refreshPeer(one.deps, twoHost, "http");
    expect((await findPeer(db1, twoHost))?.instanceActor).toBe(`${two.origin}/actor`);
    await expectLedgersSound(one, two);
  });

  it("refuses a user's key instead of the instance actor, and a broken proof", async () => {
    const s = (await findSent(db1, hostOf(two.origin), period))!;
    const ctx = federationContext(one.federation, one.deps);
    const offer = (actor: string, total: bigint) =>
      buildSummaryOffer({
        id: `${one.origin}/settlement/summaries/${s.id}`,
        actor,
        to: `${two.origin}/actor`,
        fields: {
          period,
          currency: "EUR",
          sequence: 2,
          previous: s.hash,
          total,
          lineCount: 1,
          flattrCount: 1,
          linesHash: s.linesHash,
        },
        hash: "ab".repeat(32),
        linesUrl: `${one.origin}/settlement/summaries/${s.id}/lines`,
      });
    const post = async (identifier: string, body: Record<string, unknown>) => {
      const pairs = await ctx.getActorKeyPairs(identifier);
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
    const before = await receivedRows(db2);

    // Alice (a Person) signs, proof and HTTP signature by her keys.
    const alicePairs = await ctx.getActorKeyPairs("Alice");
    const byAlice = await signJson(
      offer(`${one.origin}/users/Alice`, 100n),
      alicePairs[1]!.privateKey,
      alicePairs[1]!.multikey.id!,
      ctx.contextLoader,
      new Date(),
    );
    const r1 = await post("Alice", byAlice);
    expect(r1.status, await r1.clone().text()).toBe(401);
    expect(await r1.json()).toMatchObject({ reason: "signature" });

    // The instance actor's, but the total changed after the proof was made.
    const instancePairs = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
    const signed = await signJson(
      offer(`${one.origin}/actor`, 100n),
      instancePairs[1]!.privateKey,
      instancePairs[1]!.multikey.id!,
      ctx.contextLoader,
      new Date(),
    );
    const tampered = structuredClone(signed) as { object: { flattrTotal: string } };
    tampered.object.flattrTotal = "1000.00";
    const r2 = await post(INSTANCE_ACTOR, tampered as Record<string, unknown>);
    expect(r2.status, await r2.clone().text()).toBe(401);
    expect(await r2.json()).toMatchObject({ reason: "signature" });

    // Nothing kept, nothing moved.
    expect(await receivedRows(db2)).toEqual(before);
    expect(await balanceOf(db2, clearingAccount(hostOf(one.origin)), "EUR")).toBe(-s.total);
    await expectLedgersSound(one, two);
  });
});
