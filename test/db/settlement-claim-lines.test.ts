// Claimed-pledge lines between two instances' databases (issue 10 points 2, 3, 7): A holds a
// payer's shares for bob (on a server that speaks no Fediflattr); alice claims bob on B and B
// announces it; A's next summary to B carries the claimed shares as one line naming the claim,
// B credits alice, A settles them on the Accept; nothing is sent twice, a Reject puts them back
// for the next summary, and a claim line naming a claim B did not make (or lost, or made for
// someone else, or announced to another server) is refused `creator` with nothing moved.
// The wire is tested with real instances in test/federation/claim-lines.test.ts.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Clock, fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import {
  balanceOf,
  checkLedger,
  clearingAccount,
  earningsAccount,
  PLEDGES,
  walletAccount,
} from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import {
  applyClaim,
  applyWonClaims,
  lockClaimedAccount,
} from "../../src/settlement/claims/apply.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { buildDueSummaries, summaryLines } from "../../src/settlement/summaries/build.ts";
import {
  linesHash,
  type SummaryLine,
  summaryHash,
} from "../../src/settlement/summaries/canonical.ts";
import { processReceived } from "../../src/settlement/summaries/process.ts";
import { type ReceivedSummary, recordReceived } from "../../src/settlement/summaries/received.ts";
import {
  findSent,
  recordAnswer,
  refundSummaries,
  withdrawSummary,
} from "../../src/settlement/summaries/sent.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { markPeer, remoteActor, remoteNote } from "../helpers/remote.ts";

// A pays and holds the pledges; alice claims bob (on M) from B.
const A = "a.example";
const B = "b.example";
const M = "m.example";
const configA: Config = testConfig({ ORIGIN: `https://${A}`, FEE_BP: "0" });
const configB: Config = testConfig({ ORIGIN: `https://${B}`, FEE_BP: "0" });
let dbA: Database;
let dbB: Database;
const during = fixedClock("2027-03-10T12:00:00Z");
const after = fixedClock("2027-06-20T12:00:00Z");
let payer = 0;
let alice = 0;
let carol = 0;
/** alice's claim on B, and its announcement to A (the id A's lines name). */
let claimB = 0;
let announcement = "";
let rivalB = 0;
const aliceUri = `https://${B}/users/alice`;

async function expectSound(...dbs: Db[]) {
  for (const db of dbs) expect(await checkLedger(db)).toEqual([]);
}

/** A payer on A flattrs one of bob's notes in `period`; A closes the period. */
async function bobFlattred(period: string, budget: bigint) {
  const inMonth = fixedClock(`${period}-10T12:00:00Z`);
  const [y, m] = period.split("-").map(Number) as [number, number];
  const next = `${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, "0")}`;
  await setBudget(dbA.db, inMonth, configA, payer, budget);
  const bob = await remoteActor(dbA.db, inMonth, M, "bob");
  const note = await remoteNote(dbA.db, inMonth, bob);
  await flattr(dbA.db, inMonth, configA, payer, note.id);
  await closePeriod(dbA.db, fixedClock(`${next}-03T12:00:00Z`), configA, period);
}

/** A claim row on B: alice's (or someone's) claim of bob made on B, announced to A. */
async function claimOnB(userId: number, username: string, state: "won" | "rival") {
  const bob = await remoteActor(dbB.db, during, M, "bob");
  const [row] = await queryRows<{ id: string }>(
    dbB.db,
    sql`insert into pledge_claims (remote_actor_id, user_id, claimant_uri, code, proof_url, state,
                                   created_at, verified_at)
        values (${bob.id.toString()}::int8, ${userId}::int8, ${`https://${B}/users/${username}`},
                ${`fediflattr-claim:${username}@${B}:abcdefghijk${state === "won" ? "m" : "n"}`},
                ${`https://${M}/users/bob/statuses/99`}, ${state}, now(), now())
        returning id::text`,
  );
  const id = Number(row!.id);
  await dbB.db.execute(
    sql`insert into claim_announcements (claim_id, host, queued_at) values (${id}::int8, ${A}, now())`,
  );
  return id;
}

/** The summary of A to B for `period` as B receives it, its lines read from A's database. */
async function delivered(period: string) {
  const s = (await findSent(dbA.db, B, period))!;
  const received: ReceivedSummary = {
    peerHost: A,
    activityId: `https://${A}/settlement/summaries/${s.id}`,
    actorUri: `https://${A}/actor`,
    fields: {
      period: s.period,
      currency: s.currency,
      sequence: s.sequence,
      previous: s.prevHash,
      total: s.total,
      lineCount: s.lineCount,
      flattrCount: s.flattrCount,
      linesHash: s.linesHash,
    },
    hash: s.hash,
    linesUrl: `https://${A}/settlement/summaries/${s.id}/lines`,
    raw: JSON.stringify({ type: "Offer", id: s.id }),
  };
  const all = await summaryLines(dbA.db, s.id, 0, 1_000_000);
  const lines = async function* (edit?: (l: SummaryLine[]) => SummaryLine[]) {
    yield* edit ? edit(all) : all;
  };
  return { sent: s, received, lines, all };
}

/** A self-consistent summary (hashes recomputed) from edited lines: the checks must catch it. */
function reframed(d: Awaited<ReturnType<typeof delivered>>, edited: SummaryLine[]) {
  const fields = { ...d.received.fields, linesHash: linesHash(edited, "EUR") };
  return {
    received: { ...d.received, fields, hash: summaryHash(fields) },
    lines: async function* () {
      yield* edited;
    },
  };
}

const carried = (db: Db) =>
  queryRows<{ period: string; state: string; carried_by: string | null }>(
    db,
    sql`select period, state, carried_by::text from remote_shares order by period`,
  );

async function decideOnB(
  clock: Clock,
  received: ReceivedSummary,
  lines: () => AsyncIterable<SummaryLine>,
) {
  const r = await recordReceived(dbB.db, clock, received);
  return processReceived(dbB.db, clock, configB, r.summary, lines);
}

beforeAll(async () => {
  [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await admitPeer(dbA.db, during, configA, B);
  await admitPeer(dbB.db, during, configB, A);
  await markPeer(dbA.db, during, configA, B);
  await markPeer(dbA.db, during, configA, M, false);
  payer = await makeUser(dbA.db, "payer");
  await deposit(dbA.db, configA, payer, 10_000n);
  alice = await makeUser(dbB.db, "alice");
  carol = await makeUser(dbB.db, "carol");
  claimB = await claimOnB(alice, "alice", "won");
  rivalB = await claimOnB(carol, "carol", "rival");
  announcement = `https://${B}/claims/${claimB}/announcement#${A}`;
});
afterAll(async () => {
  await Promise.all([dbA?.close(), dbB?.close()]);
});

describe("claimed-pledge lines", () => {
  it("go out once, credited to the claimant, settled on the Accept, never sent twice", async () => {
    await bobFlattred("2027-03", 250n);
    expect(await balanceOf(dbA.db, PLEDGES, "EUR")).toBe(250n);
    // No claim yet: nothing to send B.
    expect(await buildDueSummaries(dbA.db, after, configA)).toEqual([]);

    // B's announcement of alice's claim won on A (what receiveClaim records once the proof holds).
    const bob = await remoteActor(dbA.db, during, M, "bob");
    await dbA.db.transaction(async (tx) => {
      const [c] = await queryRows<{ id: string }>(
        tx,
        sql`insert into pledge_claims (remote_actor_id, claimant_uri, claiming_host, code, proof_url,
                                       state, announcement_id, created_at, verified_at)
            values (${bob.id.toString()}::int8, ${aliceUri}, ${B},
                    ${`fediflattr-claim:alice@${B}:abcdefghijkm`},
                    ${`https://${M}/users/bob/statuses/99`}, 'won', ${announcement}, now(), now())
            returning id::text`,
      );
      await lockClaimedAccount(tx, bob.id);
      await applyClaim(tx, configA, {
        id: Number(c!.id),
        remoteActorId: bob.id,
        userId: null,
        claimingHost: B,
      });
    });
    expect(await balanceOf(dbA.db, clearingAccount(B), "EUR")).toBe(250n);
    await expectSound(dbA.db);

    // The latest closed period has no summary to B: one is built for it, with the claim line.
    const built = await buildDueSummaries(dbA.db, after, configA);
    expect(built).toHaveLength(1);
    expect(built[0]).toMatchObject({ period: "2027-03", sequence: 1, total: 250n, lineCount: 1 });
    expect(await buildDueSummaries(dbA.db, after, configA)).toEqual([]);
    const march = await delivered("2027-03");
    expect(march.all).toEqual([
      { creator: aliceUri, amount: 250n, flattrs: 1, claim: announcement },
    ]);
    expect(await carried(dbA.db)).toEqual([
      { period: "2027-03", state: "claimed", carried_by: String(march.sent.id) },
    ]);

    // B credits alice; the same summary again changes nothing.
    expect(await decideOnB(after, march.received, () => march.lines())).toEqual({
      state: "accepted",
    });
    expect(await balanceOf(dbB.db, earningsAccount(alice), "EUR")).toBe(250n);
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(-250n);
    expect((await recordReceived(dbB.db, after, march.received)).kind).toBe("again");
    expect(await balanceOf(dbB.db, earningsAccount(alice), "EUR")).toBe(250n);

    // A hears the Accept (twice): settled; what it owes B stays in clearing until transferred.
    for (let i = 0; i < 2; i++)
      expect(
        (await recordAnswer(dbA.db, after, B, march.sent.hash, { kind: "accept" }))?.state,
      ).toBe("accepted");
    expect(await carried(dbA.db)).toEqual([
      { period: "2027-03", state: "settled", carried_by: String(march.sent.id) },
    ]);
    expect(await balanceOf(dbA.db, clearingAccount(B), "EUR")).toBe(250n);
    expect(await buildDueSummaries(dbA.db, fixedClock("2027-07-01T00:00:00Z"), configA)).toEqual(
      [],
    );
    await expectSound(dbA.db, dbB.db);
  });

  it("refuses claim lines naming a claim B did not make, lost, made for another, or announced elsewhere", async () => {
    // bob's April pledge: the won claim takes it at the sweep; the next summary carries it.
    await bobFlattred("2027-04", 240n);
    expect(await applyWonClaims(dbA.db, configA)).toEqual({ shares: 1, amount: 240n });
    const [april] = await buildDueSummaries(dbA.db, after, configA);
    expect(april).toMatchObject({ period: "2027-04", sequence: 2, total: 240n });
    const d = await delivered("2027-04");
    expect(d.all).toEqual([{ creator: aliceUri, amount: 240n, flattrs: 1, claim: announcement }]);

    const line = d.all[0] as Extract<SummaryLine, { claim: string }>;
    const forgeries: [string, SummaryLine][] = [
      ["no such claim", { ...line, claim: `https://${B}/claims/9999/announcement#${A}` }],
      [
        "a lost (rival) claim",
        {
          ...line,
          creator: `https://${B}/users/carol`,
          claim: `https://${B}/claims/${rivalB}/announcement#${A}`,
        },
      ],
      ["alice's claim paid to carol", { ...line, creator: `https://${B}/users/carol` }],
      [
        "announced to another server",
        { ...line, claim: `https://${B}/claims/${claimB}/announcement#c.example` },
      ],
      [
        "another server's claim id form",
        { ...line, claim: `https://c.example/claims/${claimB}/announcement#${A}` },
      ],
    ];
    const before = await balanceOf(dbB.db, clearingAccount(A), "EUR");
    for (const [what, forged] of forgeries) {
      const f = reframed(d, [forged]);
      expect(await decideOnB(after, f.received, f.lines), what).toMatchObject({
        state: "rejected",
        reason: "creator",
        final: true,
      });
    }
    // A's genuine April summary, had alice's claim not been the won one on B (say, B's admin
    // undid it): refused.
    await dbB.db.execute(sql`update pledge_claims set state = 'rival' where id = ${claimB}::int8`);
    const lost = reframed(d, [line]);
    expect(await decideOnB(after, lost.received, lost.lines)).toMatchObject({
      state: "rejected",
      reason: "creator",
    });
    await dbB.db.execute(sql`update pledge_claims set state = 'won' where id = ${claimB}::int8`);
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(before);
    expect(await balanceOf(dbB.db, earningsAccount(alice), "EUR")).toBe(250n);
    expect(await balanceOf(dbB.db, earningsAccount(carol), "EUR")).toBe(0n);
    await expectSound(dbB.db);
  });

  it("a final Reject puts the claimed shares back; the next summary carries them once", async () => {
    const april = await delivered("2027-04");
    // B refused A's genuine April summary (the previous case: alice's claim was not won there
    // then), for good; A hears the Reject.
    const [onB] = await queryRows<{ state: string; reason: string; final: boolean }>(
      dbB.db,
      sql`select state, reason, final from settlement_summaries_in where hash = ${april.sent.hash}`,
    );
    expect(onB).toEqual({ state: "rejected", reason: "creator", final: true });
    const answered = await recordAnswer(dbA.db, after, B, april.sent.hash, {
      kind: "reject",
      reason: "creator",
      final: true,
      message: "Line 0 is not a won claim made here.",
    });
    expect(answered?.state).toBe("rejected");
    expect(await carried(dbA.db)).toEqual([
      {
        period: "2027-03",
        state: "settled",
        carried_by: String((await findSent(dbA.db, B, "2027-03"))!.id),
      },
      { period: "2027-04", state: "claimed", carried_by: null },
    ]);
    // April has its summary: the shares wait for the next close (none due now).
    expect(await buildDueSummaries(dbA.db, after, configA)).toEqual([]);
    await closePeriod(dbA.db, fixedClock("2027-06-03T12:00:00Z"), configA, "2027-05");
    const [may] = await buildDueSummaries(dbA.db, after, configA);
    expect(may).toMatchObject({
      period: "2027-05",
      sequence: 3,
      total: 240n,
      prevHash: april.sent.hash,
    });
    const m = await delivered("2027-05");
    expect(m.all).toEqual([{ creator: aliceUri, amount: 240n, flattrs: 1, claim: announcement }]);
    expect(await decideOnB(after, m.received, () => m.lines())).toEqual({ state: "accepted" });
    expect(await balanceOf(dbB.db, earningsAccount(alice), "EUR")).toBe(490n);
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(-490n);
    await recordAnswer(dbA.db, after, B, m.sent.hash, { kind: "accept" });
    expect((await carried(dbA.db)).map((r) => r.state)).toEqual(["settled", "settled"]);
    expect(await balanceOf(dbA.db, clearingAccount(B), "EUR")).toBe(490n);
    expect(await balanceOf(dbA.db, PLEDGES, "EUR")).toBe(0n);
    expect(await buildDueSummaries(dbA.db, fixedClock("2027-07-05T00:00:00Z"), configA)).toEqual(
      [],
    );
    await expectSound(dbA.db, dbB.db);
  });

  it("a confirmed withdrawal puts them back too; the refund never returns claimed shares", async () => {
    await bobFlattred("2027-06", 300n);
    expect(await applyWonClaims(dbA.db, configA)).toEqual({ shares: 1, amount: 300n });
    const july = fixedClock("2027-07-05T12:00:00Z");
    const [june] = await buildDueSummaries(dbA.db, july, configA);
    expect(june).toMatchObject({ period: "2027-06", sequence: 4, total: 300n });
    const w = await withdrawSummary(dbA.db, july, B, "2027-06");
    expect(w.ok && w.value.state).toBe("withdrawing");
    const answered = await recordAnswer(dbA.db, july, B, june!.hash, {
      kind: "withdrawal",
      accepted: true,
      message: "Withdrawn by the sender.",
    });
    expect(answered?.state).toBe("withdrawn");
    expect((await carried(dbA.db)).at(-1)).toEqual({
      period: "2027-06",
      state: "claimed",
      carried_by: null,
    });
    // The refund (April rejected, June withdrawn) returns the open peer shares of those
    // summaries: none here; what alice is owed stays in clearing:B.
    const wallet = await balanceOf(dbA.db, walletAccount(payer), "EUR");
    const refunds = await refundSummaries(dbA.db, july);
    expect(refunds.map((r) => [r.summary.period, r.payers, r.amount])).toEqual([
      ["2027-04", 0, 0n],
      ["2027-06", 0, 0n],
    ]);
    expect(await balanceOf(dbA.db, walletAccount(payer), "EUR")).toBe(wallet);
    expect(await balanceOf(dbA.db, clearingAccount(B), "EUR")).toBe(790n);
    // A late Accept of the withdrawn summary is not believed; the next close carries the share.
    await recordAnswer(dbA.db, july, B, june!.hash, { kind: "accept" });
    expect((await carried(dbA.db)).at(-1)?.state).toBe("claimed");
    await closePeriod(dbA.db, fixedClock("2027-08-03T12:00:00Z"), configA, "2027-07");
    const [next] = await buildDueSummaries(dbA.db, fixedClock("2027-08-05T12:00:00Z"), configA);
    expect(next).toMatchObject({ period: "2027-07", sequence: 5, total: 300n, lineCount: 1 });
    expect((await carried(dbA.db)).at(-1)).toEqual({
      period: "2027-06",
      state: "claimed",
      carried_by: String(next!.id),
    });
    await expectSound(dbA.db);
  });
});
