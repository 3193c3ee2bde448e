// Settlement summaries between two instances' databases (issue 10 points 2, 3, 5): built on the
// payer's side after the close, decided on the creator's side, answered; idempotent, chained,
// each refusal with its reason and nothing moved; withdrawals and refunds. The wire (signatures,
// proofs, signed GETs) is tested with real instances in test/federation/settlement.test.ts.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import {
  balanceOf,
  checkLedger,
  clearingAccount,
  earningsAccount,
  walletAccount,
} from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { awaitingFromPeers } from "../../src/settlement/awaiting.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { shareStateSql } from "../../src/settlement/share-state.ts";
import { buildDueSummaries, summaryLines } from "../../src/settlement/summaries/build.ts";
import {
  linesHash,
  type SummaryLine,
  summaryHash,
} from "../../src/settlement/summaries/canonical.ts";
import { LinesUnavailable, processReceived } from "../../src/settlement/summaries/process.ts";
import {
  type ReceivedSummary,
  recordReceived,
  recordWithdrawal,
} from "../../src/settlement/summaries/received.ts";
import {
  findSent,
  recordAnswer,
  refundSummaries,
  withdrawSummary,
} from "../../src/settlement/summaries/sent.ts";
import { upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";
import { markPeer, remoteActor, remoteNote } from "../helpers/remote.ts";

// A pays; B hosts the creators.
const A = "a.example";
const B = "b.example";
const configA: Config = testConfig({ ORIGIN: `https://${A}`, FEE_BP: "0" });
const configB: Config = testConfig({ ORIGIN: `https://${B}`, FEE_BP: "0" });
let dbA: Database;
let dbB: Database;
const during = fixedClock("2027-03-10T12:00:00Z");
const after = fixedClock("2027-04-03T12:00:00Z");

beforeAll(async () => {
  [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await admitPeer(dbA.db, during, configA, B);
  await admitPeer(dbB.db, during, configB, A);
  await markPeer(dbA.db, during, configA, B);
});
afterAll(async () => {
  await Promise.all([dbA?.close(), dbB?.close()]);
});

async function expectSound(...dbs: Db[]) {
  for (const db of dbs) expect(await checkLedger(db)).toEqual([]);
}

let seq = 0;
let carol = 0;
/**
 * One period of flattrs from payers on A of creators on B, closed on A; the Likes recorded on B
 * as incoming flattrs of the creators' things. Returns the creators' user ids on B.
 */
async function month(period: string, creators: string[], budget = 300n) {
  const [y, m] = period.split("-").map(Number) as [number, number];
  const inMonth = fixedClock(`${period}-10T12:00:00Z`);
  const next = `${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, "0")}`;
  const closeClock = fixedClock(`${next}-03T12:00:00Z`);
  const userIds: number[] = [];
  const payer = await makeUser(dbA.db, `payer${++seq}`);
  await deposit(dbA.db, configA, payer, 10_000n);
  await setBudget(dbA.db, inMonth, configA, payer, budget);
  const payerOnB = await upsertRemoteActor(dbB.db, inMonth, {
    uri: `https://${A}/users/payer${seq}`,
    type: "Person",
    handle: null,
    name: "payer",
    summaryHtml: "",
    url: null,
    iconUrl: null,
    inboxUrl: null,
    sharedInboxUrl: null,
    followersUrl: null,
    paymentUrl: null,
  });
  for (const [i, name] of creators.entries()) {
    const [existing] = await queryRows<{ id: string }>(
      dbB.db,
      sql`select id::text from users where username = ${name}`,
    );
    const userId = existing ? Number(existing.id) : await makeUser(dbB.db, name);
    userIds.push(userId);
    const { thing } = await registerThing(dbB.db, inMonth, configB, userId, {
      url: `https://pages.example/${name}/${seq}${i > 0 ? `-${i}` : ""}`,
      title: `${name}'s page`,
    });
    const actor = await remoteActor(dbA.db, inMonth, B, name);
    const note = await remoteNote(dbA.db, inMonth, actor, {
      objectUri: `https://${B}/things/${thing.id}`,
    });
    const f = await flattr(dbA.db, inMonth, configA, payer, note.id);
    const [like] = await queryRows<{ like_id: string }>(
      dbA.db,
      sql`select like_id from flattrs where id = ${f.id}::int8`,
    );
    await dbB.db.execute(
      sql`insert into incoming_flattrs (activity_id, peer_host, remote_actor_id, thing_id, period,
                                        currency, payer_instance, protocol_version, received_at)
          values (${`https://${A}/flattrs/${like!.like_id}`}, ${A}, ${payerOnB.id.toString()}::int8,
                  ${thing.id}::int8, ${period}, 'EUR', ${`https://${A}/actor`}, '1', now())`,
    );
  }
  await closePeriod(dbA.db, closeClock, configA, period);
  return { userIds, payer };
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
  const lines = async function* (edit?: (l: SummaryLine[]) => SummaryLine[]) {
    const all = await summaryLines(dbA.db, s.id, 0, 1_000_000);
    yield* edit ? edit(all) : all;
  };
  return { sent: s, received, lines };
}

/**
 * A self-consistent summary (hashes recomputed) from edited lines, as a peer that means it would
 * send: the checks after the hashes must catch it.
 */
async function reframed(
  d: Awaited<ReturnType<typeof delivered>>,
  edit: (l: SummaryLine[]) => SummaryLine[],
  sequence: number,
): Promise<{ received: ReceivedSummary; lines: () => AsyncIterable<SummaryLine> }> {
  const edited = edit(await summaryLines(dbA.db, d.sent.id, 0, 1_000_000));
  const fields = { ...d.received.fields, sequence, linesHash: linesHash(edited, "EUR") };
  const received = { ...d.received, fields, hash: summaryHash(fields) };
  return {
    received,
    lines: async function* () {
      yield* edited;
    },
  };
}

/** Lines naming Like ids B never received (another instance's, say). */
function otherLikes(lines: SummaryLine[]): SummaryLine[] {
  return lines.map((l) =>
    l.likes ? { ...l, likes: l.likes.map((id) => id.replace(A, "c.example")) } : l,
  );
}

describe("a summary from build to credit", () => {
  it("builds once after the close, is credited to the creators, accepted, idempotent", async () => {
    const { userIds } = await month("2027-03", ["carol", "dave"]);
    carol = userIds[0]!;
    const built = await buildDueSummaries(dbA.db, after, configA);
    expect(built).toHaveLength(1);
    expect(built[0]).toMatchObject({ peerHost: B, sequence: 1, prevHash: null, total: 300n });
    expect(await buildDueSummaries(dbA.db, after, configA)).toHaveLength(0);

    const { received, lines } = await delivered("2027-03");
    const r = await recordReceived(dbB.db, after, received);
    expect(r.kind).toBe("new");
    const d = await processReceived(dbB.db, after, configB, r.summary, () => lines());
    expect(d, JSON.stringify(d)).toEqual({ state: "accepted" });
    expect(await balanceOf(dbB.db, earningsAccount(userIds[0]!), "EUR")).toBe(150n);
    expect(await balanceOf(dbB.db, earningsAccount(userIds[1]!), "EUR")).toBe(150n);
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(-300n);
    await expectSound(dbB.db);

    // The same summary again: nothing changes, the answer is owed again.
    const again = await recordReceived(dbB.db, after, received);
    expect(again.kind).toBe("again");
    expect(again.summary.state).toBe("accepted");
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(-300n);

    // A hears the Accept: its shares are settled (the summary's state says it, ADR 0029: the
    // rows stay open); what it owes B stays in clearing.
    const shareStates = async () => {
      const [states] = await queryRows<{ states: string; rows: string }>(
        dbA.db,
        sql`select string_agg(distinct ${shareStateSql(sql`s`)}, ',') as states,
                   string_agg(distinct s.state, ',') as rows
            from remote_shares s where s.period = '2027-03'`,
      );
      return states;
    };
    expect(await shareStates()).toEqual({ states: "open", rows: "open" });
    const answered = await recordAnswer(dbA.db, after, B, received.hash, { kind: "accept" });
    expect(answered?.state).toBe("accepted");
    expect(await shareStates()).toEqual({ states: "settled", rows: "open" });
    expect(await balanceOf(dbA.db, clearingAccount(B), "EUR")).toBe(300n);
    await expectSound(dbA.db, dbB.db);
  });

  it("a different summary for an accepted (peer, period) is a conflict, never applied", async () => {
    const { received } = await delivered("2027-03");
    const forged = {
      ...received,
      fields: { ...received.fields, total: 1000n },
    };
    forged.hash = summaryHash(forged.fields);
    const r = await recordReceived(dbB.db, after, forged);
    expect(r.kind).toBe("refused");
    expect(r.summary).toMatchObject({ state: "conflict", reason: "conflict" });
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(-300n);
    await expectSound(dbB.db);
  });
});

describe("refusals: each with its reason, nothing moved", () => {
  it("parks a summary ahead of its predecessor; tampered lines, unknown creators, Likes of another creator", async () => {
    // Two months, B sees the second first.
    await month("2027-04", ["carol"]);
    await month("2027-05", ["erin"]);
    await buildDueSummaries(dbA.db, fixedClock("2027-06-03T12:00:00Z"), configA);
    const april = await delivered("2027-04");
    const may = await delivered("2027-05");
    expect(may.sent).toMatchObject({ sequence: 3, prevHash: april.sent.hash });

    const before = await balanceOf(dbB.db, clearingAccount(A), "EUR");
    const mayIn = await recordReceived(dbB.db, after, may.received);
    const parked = await processReceived(dbB.db, after, configB, mayIn.summary, () => may.lines());
    expect(parked.state).toBe("parked");

    // April with a line's amount changed: the line hash no longer matches.
    const aprilIn = await recordReceived(dbB.db, after, april.received);
    const tampered = await processReceived(dbB.db, after, configB, aprilIn.summary, () =>
      april.lines((l) => l.map((x) => ({ ...x, amount: x.amount + 1n }))),
    );
    expect(tampered).toMatchObject({ state: "rejected", reason: "total", final: true });
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(before);

    // The sender cannot be reached: nothing decided, tried again later.
    const aprilRow = { ...aprilIn.summary, state: "received" };
    await dbB.db.execute(
      sql`update settlement_summaries_in set state = 'received', reason = null, decided_at = null
          where id = ${aprilIn.summary.id}`,
    );
    const down = await processReceived(dbB.db, after, configB, aprilRow, () => ({
      // biome-ignore lint/correctness/useYield: it fails before the first line
      async *[Symbol.asyncIterator]() {
        throw new LinesUnavailable("connection refused");
      },
    }));
    expect(down.state).toBe("waiting");

    // Likes B never received, in a summary whose hashes are right: refused `likes`.
    const other = await reframed(april, otherLikes, april.sent.sequence);
    const otherIn = await recordReceived(dbB.db, after, other.received);
    const wrongLikes = await processReceived(dbB.db, after, configB, otherIn.summary, other.lines);
    expect(wrongLikes).toMatchObject({ state: "rejected", reason: "likes", final: true });
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(before);
    await expectSound(dbB.db);
  });

  it("refuses an unknown creator, Likes of another creator, another currency", async () => {
    const april = await delivered("2027-04");
    const nobody = await reframed(
      april,
      (l) => l.map((x) => ({ ...x, creator: `https://${B}/users/nobody` })),
      april.sent.sequence,
    );
    const nobodyIn = await recordReceived(dbB.db, after, nobody.received);
    expect(
      await processReceived(dbB.db, after, configB, nobodyIn.summary, nobody.lines),
    ).toMatchObject({ state: "rejected", reason: "creator" });

    // carol's Likes paid to erin (both creators here).
    const erin = await reframed(
      april,
      (l) => l.map((x) => ({ ...x, creator: `https://${B}/users/erin` })),
      april.sent.sequence,
    );
    const erinIn = await recordReceived(dbB.db, after, erin.received);
    expect(await processReceived(dbB.db, after, configB, erinIn.summary, erin.lines)).toMatchObject(
      { state: "rejected", reason: "likes" },
    );

    const usd = await reframed(april, (l) => l, april.sent.sequence);
    const usdIn = await recordReceived(dbB.db, after, {
      ...usd.received,
      hash: summaryHash({ ...usd.received.fields, currency: "USD" }),
      fields: { ...usd.received.fields, currency: "USD" },
    });
    expect(await processReceived(dbB.db, after, configB, usdIn.summary, usd.lines)).toMatchObject({
      state: "rejected",
      reason: "currency",
    });
    expect(await balanceOf(dbB.db, clearingAccount(A), "EUR")).toBe(-300n);
    await expectSound(dbB.db);
  });
});

describe("withdrawals and refunds", () => {
  it("a withdrawal racing a late delivery: confirmed, never accepted, refunded once", async () => {
    const { payer } = await month("2027-07", ["gina"]);
    await buildDueSummaries(dbA.db, fixedClock("2027-08-03T12:00:00Z"), configA);
    const july = await delivered("2027-07");
    const wallet = await balanceOf(dbA.db, walletAccount(payer), "EUR");

    const w = await withdrawSummary(dbA.db, after, B, "2027-07");
    expect(w.ok && w.value.state).toBe("withdrawing");
    // The withdrawal reaches B before the summary.
    const withdrawn = await recordWithdrawal(dbB.db, after, july.received);
    expect(withdrawn.state).toBe("withdrawn");
    const late = await recordReceived(dbB.db, after, july.received);
    expect(late).toMatchObject({ kind: "again", summary: { state: "withdrawn" } });
    expect(
      await processReceived(dbB.db, after, configB, late.summary, () => july.lines()),
    ).toMatchObject({ state: "waiting" });

    // Not refundable until B confirms.
    expect(await refundSummaries(dbA.db, after)).toEqual([]);
    await recordAnswer(dbA.db, after, B, july.received.hash, {
      kind: "withdrawal",
      accepted: true,
      message: "ok",
    });
    // A late Accept is not believed.
    await recordAnswer(dbA.db, after, B, july.received.hash, { kind: "accept" });
    const refunds = await refundSummaries(dbA.db, after);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ payers: 1, amount: 300n });
    expect(await balanceOf(dbA.db, walletAccount(payer), "EUR")).toBe(wallet + 300n);
    expect(await refundSummaries(dbA.db, after)).toEqual([]);
    expect((await findSent(dbA.db, B, "2027-07"))?.state).toBe("withdrawn");
    await expectSound(dbA.db, dbB.db);
  });

  it("only an unanswered summary can be withdrawn; a final Reject makes it refundable", async () => {
    const r = await withdrawSummary(dbA.db, after, B, "2027-03");
    expect(!r.ok && r.error.code).toBe("not_withdrawable");
    const april = await delivered("2027-04");
    await recordAnswer(dbA.db, after, B, april.received.hash, {
      kind: "reject",
      reason: "likes",
      final: true,
      message: "no",
    });
    expect((await findSent(dbA.db, B, "2027-04"))?.state).toBe("rejected");
    const refunds = await refundSummaries(dbA.db, after);
    expect(refunds.map((x) => x.summary.period)).toEqual(["2027-04"]);
    await expectSound(dbA.db);
  });
});

describe("payable only when arrived; clearing", () => {
  const cliB = (args: string[]) =>
    runCliWith(args, { deps: { config: configB, database: dbB, clock: after } });
  const cliA = (args: string[]) =>
    runCliWith(args, { deps: { config: configA, database: dbA, clock: after } });

  it("a peer's credit awaits its transfers and the credit limit; transfers are recorded once", async () => {
    expect(await awaitingFromPeers(dbB.db, carol)).toEqual([{ peerHost: A, amount: 150n }]);
    await admitPeer(dbB.db, after, configB, A, { creditLimit: "1.00" });
    // 1.00 of the 3.00 covered: carol's 1.50 is covered pro rata, rounded down.
    expect(await awaitingFromPeers(dbB.db, carol)).toEqual([{ peerHost: A, amount: 100n }]);

    const rec = ["clearing", "record", A, "1.00", "--reference", "R-1", "--direction", "received"];
    expect((await cliB(rec)).code).toBe(0);
    expect((await cliB(rec)).stdout).toContain("Already recorded");
    const other = await cliB([
      "clearing",
      "record",
      A,
      "2.00",
      "--reference",
      "R-1",
      "--direction",
      "received",
    ]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("another amount");
    expect((await cliB(["clearing", "record", A, "1", "--reference", "x"])).code).toBe(2);
    expect(await awaitingFromPeers(dbB.db, carol)).toEqual([{ peerHost: A, amount: 50n }]);
    const positions = await cliB(["clearing"]);
    expect(positions.stdout).toMatch(new RegExp(`${A}\t0.00\t3.00\t0.00\t1.00\tthey owe 2.00`));

    // A pays what B's creators were credited for March; May's summary is still unanswered.
    expect(
      (
        await cliA([
          "clearing",
          "record",
          B,
          "3.00",
          "--reference",
          "SEPA-9",
          "--direction",
          "sent",
        ])
      ).code,
    ).toBe(0);
    expect((await cliA(["clearing"])).stdout).toMatch(
      new RegExp(`${B}\t3.00\t0.00\t3.00\t0.00\twe owe 3.00`),
    );
    const list = await cliA(["settlements"]);
    expect(list.stdout).toContain(`sent\t${B}\t2027-03\t#1\t3.00 EUR\t2 line(s)\taccepted`);
    await expectSound(dbA.db, dbB.db);
  });

  it("settlements withdraw and refund on the command line", async () => {
    const unknown = await cliA(["settlements", "withdraw", B, "2026-01"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No summary");
    const answered = await cliA(["settlements", "withdraw", B, "2027-03"]);
    expect(answered.code).toBe(1);
    expect(answered.stderr).toContain("accepted");
    expect((await cliA(["settlements", "withdraw", B])).code).toBe(2);
    const may = await cliA(["settlements", "withdraw", B, "2027-05"]);
    expect(may.code).toBe(0);
    expect((await findSent(dbA.db, B, "2027-05"))?.state).toBe("withdrawing");
    expect((await cliA(["settlements", "refund"])).stderr).toContain("Nothing to refund.");
  });

  it("/admin/settlements shows summaries and positions to admins", async () => {
    const { user, as } = moneyApp(testConfig({ ORIGIN: `http://${B}` }), dbB, after);
    const admin = await as(await user(undefined, { admin: true }));
    const page = await admin.get("/admin/settlements");
    expect(page.status).toBe(200);
    const text = textOf(await page.text());
    expect(text).toContain(`${A} €0.00 €3.00 €0.00 €1.00 they owe €2.00`);
    expect(text).toContain("received a.example 2027-03 1 €3.00 2 accepted");
    expect((await (await as(await user())).get("/admin/settlements")).status).toBe(403);
  });
});

describe("the chain after a withdrawal", () => {
  it("a summary that follows a withdrawn one is decided, not parked for ever", async () => {
    await month("2027-08", ["hana"]);
    await buildDueSummaries(dbA.db, fixedClock("2027-09-03T12:00:00Z"), configA);
    const august = await delivered("2027-08");
    const prev = await queryRows<{ state: string }>(
      dbB.db,
      sql`select state from settlement_summaries_in
          where peer_host = ${A} and sequence = ${august.sent.sequence - 1}`,
    );
    expect(prev.map((p) => p.state)).toContain("withdrawn");
    const got = await recordReceived(dbB.db, after, august.received);
    expect(
      await processReceived(dbB.db, after, configB, got.summary, () => august.lines()),
    ).toMatchObject({ state: "accepted" });
    await expectSound(dbA.db, dbB.db);
  });
});

describe("a creator on two lines", () => {
  it("is credited their sum in one posting", async () => {
    // ivo's two things, flattred once each: A builds one line of 2 flattrs; a sender may as well
    // send two lines of one (each line's Likes hold). B sums them into one posting for ivo.
    const { userIds } = await month("2027-09", ["ivo", "ivo"]);
    expect(userIds[0]).toBe(userIds[1]);
    await buildDueSummaries(dbA.db, fixedClock("2027-10-03T12:00:00Z"), configA);
    const d = await delivered("2027-09");
    const built = await summaryLines(dbA.db, d.sent.id, 0, 10);
    expect(built.map((l) => [l.amount, l.flattrs])).toEqual([[300n, 2]]);
    const line = built[0]! as Extract<SummaryLine, { likes: string[] }>;
    const split: SummaryLine[] = line.likes.map((like) => ({
      creator: line.creator,
      amount: 150n,
      flattrs: 1,
      likes: [like],
    }));
    const fields = { ...d.received.fields, lineCount: 2, linesHash: linesHash(split, "EUR") };
    const got = await recordReceived(dbB.db, after, {
      ...d.received,
      fields,
      hash: summaryHash(fields),
    });
    const before = await balanceOf(dbB.db, earningsAccount(userIds[0]!), "EUR");
    expect(
      await processReceived(dbB.db, after, configB, got.summary, async function* () {
        yield* split;
      }),
    ).toEqual({ state: "accepted" });
    expect((await balanceOf(dbB.db, earningsAccount(userIds[0]!), "EUR")) - before).toBe(300n);
    const postings = await queryRows<{ amount: string }>(
      dbB.db,
      sql`select p.amount::text from ledger_postings p join ledger_entries e on e.id = p.entry_id
          where e.idempotency_key = ${`settlement-in:${A}:2027-09`}
            and p.account = ${earningsAccount(userIds[0]!)}`,
    );
    expect(postings).toEqual([{ amount: "300" }]);
    await expectSound(dbA.db, dbB.db);
  });
});
