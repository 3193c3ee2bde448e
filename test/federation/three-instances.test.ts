// Settlement between three real instances over loopback (issue 10 point 10): a month of flattrs
// across A, B and C (each payer flattrs a creator on each instance), closed, summaries both ways
// between every admitted pair, earnings credited to the cent (the split computed here with
// src/money/split.ts), payable only as transfers arrive, clearing positions that agree on both
// sides; C not admitted by A (its summary kept, applied after admission); a summary lost while B
// is down and delivered later; delivered twice; two periods' summaries in reverse order; a
// withdrawal racing a late delivery; a conflict. The ledger check passes on every instance after
// each case. Cases run in order and build on each other (one month after another).
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { settlementRound } from "../../src/federation/settlement/worker.ts";
import {
  balanceOf,
  clearingAccount,
  earningsAccount,
  walletAccount,
} from "../../src/ledger/index.ts";
import { formatAmount } from "../../src/money/decimal.ts";
import { type ClearingPosition, clearingPositions } from "../../src/settlement/clearing.ts";
import { payableEarnings } from "../../src/settlement/payable.ts";
import { summaryHash } from "../../src/settlement/summaries/canonical.ts";
import { findSent } from "../../src/settlement/summaries/sent.ts";
import {
  admit,
  type Creator,
  cli,
  closeOn,
  creatorWithPost,
  deliverOffer,
  expectedShares,
  flattrAll,
  ledgersSound,
  type Node,
  type Payer,
  payer,
  periodNow,
  receivedFlattrs,
  rowsIn,
  settle,
  startTrio,
  stateOut,
  type Trio,
} from "./three-support.ts";

let t: Trio;
let a: Node;
let b: Node;
let c: Node;
let alice: Payer; // pays on A
let bob: Payer; // pays on B
let cat: Payer; // pays on C
let ann: Creator; // creates on A
let bea: Creator; // creates on B
let cyd: Creator; // creates on C
const P1 = "2027-01";
/** Each creator's share from each payer in P1, computed here. */
const share = new Map<string, bigint>();
const from = (p: Payer, cr: Creator) => share.get(`${p.id}@${p.node.name}->${cr.username}`)!;

const earnings = (cr: Creator) => balanceOf(cr.node.db, earningsAccount(cr.id), "EUR");

beforeAll(async () => {
  // Three fees, so that each instance's split is its own: 10 %, 2.5 %, none.
  t = await startTrio("2027-01-12T12:00:00Z", [
    { FEE_BP: "1000" },
    { FEE_BP: "250" },
    { FEE_BP: "0" },
  ]);
  ({ a, b, c } = t);
  [ann, bea, cyd] = await Promise.all([
    creatorWithPost(a, "ann"),
    creatorWithPost(b, "bea"),
    creatorWithPost(c, "cyd"),
  ]);
  alice = await payer(a, "alice", 1001n);
  bob = await payer(b, "bob", 777n);
  cat = await payer(c, "cat", 500n);
  // A and B admit each other; B and C too; C admits A, but A does not admit C (yet).
  await admit(a, b);
  await admit(b, a);
  await admit(b, c);
  await admit(c, b);
  await admit(c, a);
  expect(periodNow(t)).toBe(P1);
  const plan: [Payer, Creator[]][] = [
    [alice, [bea, cyd, ann]],
    [bob, [ann, cyd, bea]],
    [cat, [ann, bea, cyd]],
  ];
  for (const [p, creators] of plan) {
    await flattrAll(p, creators);
    const s = expectedShares(p, creators.length);
    creators.forEach((cr, i) => {
      share.set(`${p.id}@${p.node.name}->${cr.username}`, s[i]!);
    });
  }
  // Each creator's instance received the two remote flattrs of its creator's post.
  await Promise.all([receivedFlattrs(a, 2), receivedFlattrs(b, 2), receivedFlattrs(c, 2)]);
  t.clock.set("2027-02-03T12:00:00Z");
  for (const n of t.all) await closeOn(n, P1);
}, 240_000);
afterAll(async () => {
  await t?.stop();
});

/** The position of `n` with `peer`, as `fediflattr clearing` shows it. */
async function position(n: Node, peer: Node): Promise<ClearingPosition> {
  const p = (await clearingPositions(n.db, n.deps.config)).find((x) => x.peerHost === peer.host);
  if (!p) throw new Error(`${n.name} has no position with ${peer.name}`);
  return p;
}

/** Both sides of a pair see the same figures, mirrored. */
async function expectPositionsAgree(x: Node, y: Node) {
  const px = await position(x, y);
  const py = await position(y, x);
  expect({ weOwe: px.weOwe, theyOwe: px.theyOwe, sent: px.sent, received: px.received }).toEqual({
    weOwe: py.theyOwe,
    theyOwe: py.weOwe,
    sent: py.received,
    received: py.sent,
  });
  expect(px.net).toBe(-py.net);
  // The net is the clearing account, and it is what each owes after transfers.
  expect(px.net).toBe(px.weOwe - px.theyOwe - px.sent + px.received);
  expect(await balanceOf(x.db, clearingAccount(y.host), "EUR")).toBe(px.net);
}

describe("a month across three instances", () => {
  it("summaries both ways between every admitted pair, earnings credited to the cent", async () => {
    // The split as computed here: fee at the payer's instance, the rest over three flattrs.
    expect([from(alice, bea), from(alice, cyd), from(alice, ann)]).toEqual([301n, 300n, 300n]);
    expect(from(bob, ann) + from(bob, cyd) + from(bob, bea)).toBe(777n - 19n);
    // Before any summary: only the local shares are earnings.
    expect(await earnings(ann)).toBe(from(alice, ann));
    expect(await earnings(bea)).toBe(from(bob, bea));
    expect(await earnings(cyd)).toBe(from(cat, cyd));

    await settle(
      t.all,
      async () =>
        (await stateOut(a, b, P1)) === "accepted" &&
        (await stateOut(b, a, P1)) === "accepted" &&
        (await stateOut(b, c, P1)) === "accepted" &&
        (await stateOut(c, b, P1)) === "accepted" &&
        (await rowsIn(a, c)).length === 1,
      "every admitted pair accepted both ways",
    );
    expect(await earnings(ann)).toBe(from(alice, ann) + from(bob, ann));
    expect(await earnings(bea)).toBe(from(bob, bea) + from(alice, bea) + from(cat, bea));
    expect(await earnings(cyd)).toBe(from(cat, cyd) + from(bob, cyd));
    // Each summary is the sum of its payers' shares for that instance's creators.
    expect((await findSent(a.db, b.host, P1))?.total).toBe(from(alice, bea));
    expect((await findSent(b.db, c.host, P1))?.total).toBe(from(bob, cyd));

    // C's summary to A is kept on A, not applied, not answered; A sends C nothing.
    expect(await rowsIn(a, c)).toEqual([
      expect.objectContaining({ period: P1, state: "received", reason: "not_admitted" }),
    ]);
    expect(await stateOut(c, a, P1)).toBe("sent");
    // A's admin sees it waiting (`fediflattr settlements`, as /admin/settlements).
    expect((await cli(a, ["settlements", c.host])).stdout).toContain(
      `received\t${c.host}\t${P1}\t#1\t${formatAmount(from(cat, ann), "EUR")} EUR\t1 line(s)\treceived\tnot_admitted`,
    );
    expect(await findSent(a.db, c.host, P1)).toBeNull();
    expect(await balanceOf(a.db, clearingAccount(c.host), "EUR")).toBe(from(alice, cyd));
    await ledgersSound(t);
  });

  it("peer money is payable only as transfers arrive (and the credit limit); positions agree", async () => {
    t.clock.set("2027-02-11T12:00:00Z"); // January is payable from SETTLEMENT_DAY (10)
    const payable = async (cr: Creator) =>
      (await payableEarnings(cr.node.db, t.clock, cr.node.deps.config, cr.id)).payable;
    expect(await payable(bea)).toBe(from(bob, bea));
    expect(await payable(ann)).toBe(from(alice, ann));

    // B grants C a credit of 1.00: that much of C's summary is payable before C pays.
    await admit(b, c, "1.00");
    expect(await payable(bea)).toBe(from(bob, bea) + 100n);
    // A sends B two transfers; B has recorded the first only.
    const rec = (n: Node, peer: Node, amount: string, ref: string, dir: string) =>
      cli(n, ["clearing", "record", peer.host, amount, "--reference", ref, "--direction", dir]);
    expect((await rec(a, b, "2.00", "T-1", "sent")).code).toBe(0);
    expect((await rec(a, b, "1.01", "T-2", "sent")).code).toBe(0);
    expect((await rec(b, a, "2.00", "T-1", "received")).code).toBe(0);
    expect(await payable(bea)).toBe(from(bob, bea) + 100n + 200n);
    expect((await rec(b, a, "1.01", "T-2", "received")).code).toBe(0);
    expect((await rec(b, a, "1.01", "T-2", "received")).stdout).toContain("Already recorded");
    expect(await payable(bea)).toBe(from(bob, bea) + 100n + from(alice, bea));
    // B pays A what bob's flattr of ann was worth.
    const bobAnn = (Number(from(bob, ann)) / 100).toFixed(2);
    expect((await rec(b, a, bobAnn, "S-1", "sent")).code).toBe(0);
    expect((await rec(a, b, bobAnn, "S-1", "received")).code).toBe(0);
    expect(await payable(ann)).toBe(from(alice, ann) + from(bob, ann));

    await expectPositionsAgree(a, b);
    await expectPositionsAgree(b, c);
    // After both transfers the pair A–B is even; B–C is owed both ways, nothing sent.
    expect((await position(a, b)).net).toBe(0n);
    expect(await position(b, c)).toMatchObject({
      weOwe: from(bob, cyd),
      theyOwe: from(cat, bea),
      net: from(bob, cyd) - from(cat, bea),
    });
    const shown = await cli(b, ["clearing"]);
    expect(shown.stdout).toContain(`${a.host}\t2.53\t3.01\t2.53\t3.01\teven`);
    await ledgersSound(t);
  });

  it("C not admitted by A: its summary is kept and never applied; after admission it is", async () => {
    t.clock.advance(2 * 3600_000); // A looks at a waiting summary again hourly
    for (let i = 0; i < 2; i++) for (const n of t.all) await settlementRound(n.federation, n.deps);
    expect(await rowsIn(a, c)).toEqual([
      expect.objectContaining({ state: "received", reason: "not_admitted" }),
    ]);
    expect(await earnings(ann)).toBe(from(alice, ann) + from(bob, ann));
    expect(await stateOut(c, a, P1)).toBe("sent");

    await admit(a, c);
    t.clock.advance(2 * 3600_000);
    await settle(
      t.all,
      async () =>
        (await stateOut(c, a, P1)) === "accepted" && (await stateOut(a, c, P1)) === "accepted",
      "A and C accepted each other's summaries",
    );
    expect(await rowsIn(a, c)).toEqual([expect.objectContaining({ state: "accepted" })]);
    expect(await earnings(ann)).toBe(from(alice, ann) + from(bob, ann) + from(cat, ann));
    expect(await earnings(cyd)).toBe(from(cat, cyd) + from(bob, cyd) + from(alice, cyd));
    await expectPositionsAgree(a, c);
    expect((await position(a, c)).net).toBe(from(alice, cyd) - from(cat, ann));
    await ledgersSound(t);
  });

  const aliceAlone = () => expectedShares(alice, 1)[0]!;

  it("a summary lost while B is down is delivered later", async () => {
    const P2 = "2027-02";
    expect(periodNow(t)).toBe(P2);
    await flattrAll(alice, [bea]);
    await receivedFlattrs(b, 3);
    const before = await earnings(bea);
    await b.down();
    t.clock.set("2027-03-03T12:00:00Z");
    await closeOn(a, P2);
    await settlementRound(a.federation, a.deps);
    const failed = (await findSent(a.db, b.host, P2))!;
    expect(failed.state).toBe("sent");
    expect(failed.lastError).toBeTruthy();
    expect((await rowsIn(b, a)).map((r) => r.period)).not.toContain(P2);

    await b.up();
    t.clock.advance(10 * 60_000); // past the backoff
    await settlementRound(a.federation, a.deps);
    expect((await rowsIn(b, a)).filter((r) => r.period === P2)).toHaveLength(1);
    // Two rounds on B at once (two workers) decide it once.
    await Promise.all([
      settlementRound(b.federation, b.deps),
      settlementRound(b.federation, b.deps),
    ]);
    await settle(t.all, async () => (await stateOut(a, b, P2)) === "accepted", "P2 accepted");
    expect((await rowsIn(b, a)).filter((r) => r.period === P2)).toEqual([
      expect.objectContaining({ state: "accepted" }),
    ]);
    expect(await earnings(bea)).toBe(before + aliceAlone());
    await ledgersSound(t);
  });

  it("delivered twice: nothing changes, answered again", async () => {
    const P2 = "2027-02";
    const s = (await findSent(a.db, b.host, P2))!;
    const [row] = await queryRows<{ answer_attempts: number }>(
      b.db,
      sql`select answer_attempts from settlement_summaries_in where hash = ${s.hash}`,
    );
    const before = await earnings(bea);
    await deliverOffer(a, s, b);
    await settlementRound(b.federation, b.deps);
    const rows = await queryRows<{ state: string; answer_attempts: number }>(
      b.db,
      sql`select state, answer_attempts from settlement_summaries_in where hash = ${s.hash}`,
    );
    // Answered again (the worker's own round may have answered it too, never applied twice).
    expect(rows).toEqual([{ state: "accepted", answer_attempts: expect.any(Number) }]);
    expect(rows[0]!.answer_attempts).toBeGreaterThan(row!.answer_attempts);
    expect(await earnings(bea)).toBe(before);
    expect(await stateOut(a, b, P2)).toBe("accepted");
    await ledgersSound(t);
  });

  it("two periods' summaries in reverse order: the later one parked, then both applied", async () => {
    const [P3, P4] = ["2027-03", "2027-04"];
    t.clock.set("2027-03-10T12:00:00Z");
    await flattrAll(alice, [bea]);
    await receivedFlattrs(b, 4);
    t.clock.set("2027-04-10T12:00:00Z");
    await flattrAll(alice, [bea]);
    await receivedFlattrs(b, 5);
    const before = await earnings(bea);
    // B is down while A closes both months: neither summary gets through.
    await b.down();
    t.clock.set("2027-05-03T12:00:00Z");
    await closeOn(a, P3);
    await closeOn(a, P4);
    await settlementRound(a.federation, a.deps);
    const s3 = (await findSent(a.db, b.host, P3))!;
    const s4 = (await findSent(a.db, b.host, P4))!;
    expect(s4).toMatchObject({ sequence: s3.sequence + 1, prevHash: s3.hash, state: "sent" });
    await b.up();

    // April's arrives first: parked, nothing credited.
    await deliverOffer(a, s4, b);
    await settlementRound(b.federation, b.deps);
    expect((await rowsIn(b, a)).filter((r) => r.period === P4)).toEqual([
      expect.objectContaining({ state: "parked", reason: "sequence" }),
    ]);
    expect(await earnings(bea)).toBe(before);
    await ledgersSound(t);

    // Then March's: both applied, in order.
    t.clock.advance(10 * 60_000);
    await settle(
      t.all,
      async () =>
        (await stateOut(a, b, P3)) === "accepted" && (await stateOut(a, b, P4)) === "accepted",
      "March and April accepted",
    );
    const inB = (await rowsIn(b, a)).filter((r) => r.period === P3 || r.period === P4);
    expect(inB.map((r) => [r.period, r.state])).toEqual([
      [P4, "accepted"],
      [P3, "accepted"],
    ]);
    expect(await earnings(bea)).toBe(before + 2n * aliceAlone());
    await expectPositionsAgree(a, b);
    await ledgersSound(t);
  });

  it("a withdrawal racing a late delivery: confirmed, never accepted, refunded once", async () => {
    const P5 = "2027-05";
    t.clock.set("2027-05-10T12:00:00Z");
    await flattrAll(alice, [bea]);
    await receivedFlattrs(b, 6);
    const before = await earnings(bea);
    await b.down();
    t.clock.set("2027-06-03T12:00:00Z");
    await closeOn(a, P5);
    await settlementRound(a.federation, a.deps);
    const s5 = (await findSent(a.db, b.host, P5))!;
    expect(s5.lastError).toBeTruthy();
    const wallet = await balanceOf(a.db, walletAccount(alice.id), "EUR");

    // A's admin withdraws the summary B never saw; B comes back; the withdrawal goes first.
    const w = await cli(a, ["settlements", "withdraw", b.host, P5]);
    expect(w.code, w.stderr).toBe(0);
    await b.up();
    t.clock.advance(10 * 60_000);
    await settle(t.all, async () => (await stateOut(a, b, P5)) === "withdrawn", "confirmed");
    // The summary itself arrives late: B keeps its word and never applies it.
    await deliverOffer(a, s5, b);
    for (const n of t.all) await settlementRound(n.federation, n.deps);
    expect((await rowsIn(b, a)).filter((r) => r.period === P5)).toEqual([
      expect.objectContaining({ state: "withdrawn" }),
    ]);
    expect(await earnings(bea)).toBe(before);
    expect(await stateOut(a, b, P5)).toBe("withdrawn");

    // Refunded to alice once: her share, without the fee the close took.
    const refund = await cli(a, ["settlements", "refund"]);
    expect(refund.code, refund.stderr).toBe(0);
    expect(await balanceOf(a.db, walletAccount(alice.id), "EUR")).toBe(wallet + aliceAlone());
    expect((await cli(a, ["settlements", "refund"])).stderr).toContain("Nothing to refund.");
    expect(await balanceOf(a.db, walletAccount(alice.id), "EUR")).toBe(wallet + aliceAlone());
    await expectPositionsAgree(a, b);
    await ledgersSound(t);
  });

  it("a conflict: a different summary for an accepted period is never applied, shown to both admins", async () => {
    // A's row for January is made to say another total, as a restored backup or a bug would:
    // A's worker then sends a second, different summary for a period B accepted.
    const s = (await findSent(a.db, b.host, P1))!;
    const total = s.total + 50n;
    const hash = summaryHash({
      period: s.period,
      currency: s.currency,
      sequence: s.sequence,
      previous: s.prevHash,
      total,
      lineCount: s.lineCount,
      flattrCount: s.flattrCount,
      linesHash: s.linesHash,
    });
    await a.db.execute(
      sql`update settlement_summaries_out set total = ${total}, hash = ${hash}, state = 'sent',
            next_attempt_at = ${t.clock.now().toISOString()}::timestamptz where id = ${s.id}`,
    );
    const before = await balanceOf(b.db, clearingAccount(a.host), "EUR");
    const bea0 = await earnings(bea);
    await settle(t.all, async () => (await stateOut(a, b, P1)) === "conflict", "conflict");
    expect((await rowsIn(b, a)).filter((r) => r.period === P1)).toEqual([
      expect.objectContaining({ state: "accepted", total: s.total.toString() }),
      expect.objectContaining({ state: "conflict", reason: "conflict", final: true }),
    ]);
    expect(await balanceOf(b.db, clearingAccount(a.host), "EUR")).toBe(before);
    expect(await earnings(bea)).toBe(bea0);
    expect((await cli(a, ["settlements"])).stdout).toMatch(
      new RegExp(`sent\\t${b.host}\\t${P1}\\t.*conflict`),
    );
    expect((await cli(b, ["settlements"])).stdout).toMatch(
      new RegExp(`received\\t${a.host}\\t${P1}\\t.*conflict`),
    );
    await ledgersSound(t);
  });
});
