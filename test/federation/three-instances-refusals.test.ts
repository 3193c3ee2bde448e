// Refusals, claims, pledges and payouts with three real instances over loopback (issue 10 point
// 10). A's real worker sends B summaries that are wrong in one way each (its row and lines edited
// before delivery, hashes recomputed where a sender that means it would): a tampered total, Likes
// of another creator, an unknown creator, a broken chain; and the test posts ones signed by a
// user's key and with a broken proof. Each is refused with its reason over the wire (a Reject A
// records, or a 401), and nothing moves; the corrected summary is then accepted. A claim made on
// C is verified by A itself, a rival one on A is shown to A's admin; a pledge goes back after the
// hold (fake clock); payouts on B are approved, exported, paid, one failed. The ledger check
// passes on every instance after each case.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signRequest } from "@fedify/fedify";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { INSTANCE_ACTOR } from "../../src/federation/actors.ts";
import { announceClaims } from "../../src/federation/claims.ts";
import { federationContext } from "../../src/federation/federation.ts";
import { fedifyLookup } from "../../src/federation/lookup.ts";
import { signJson } from "../../src/federation/settlement/proof.ts";
import { settlementRound } from "../../src/federation/settlement/worker.ts";
import { buildSummaryOffer } from "../../src/federation/vocab/settlement.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import {
  balanceOf,
  clearingAccount,
  earningsAccount,
  PAYOUTS,
  PLEDGES,
  walletAccount,
} from "../../src/ledger/index.ts";
import { startClaim, verifiedClaims, verifyClaim } from "../../src/settlement/claims/local.ts";
import { setPayoutDetails } from "../../src/settlement/payout-details.ts";
import { requestPayout } from "../../src/settlement/payouts.ts";
import { pledgeReturnsAt } from "../../src/settlement/pledge-hold.ts";
import { returnExpiredPledges } from "../../src/settlement/pledge-returns.ts";
import { summaryLines } from "../../src/settlement/summaries/build.ts";
import {
  linesHash,
  type SummaryLine,
  summaryHash,
} from "../../src/settlement/summaries/canonical.ts";
import { findSent } from "../../src/settlement/summaries/sent.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { readPain001 } from "../helpers/sepa-xml.ts";
import { cacheActor } from "./money-support.ts";
import { insertUser, waitFor } from "./support.ts";
import {
  admit,
  type Creator,
  cli,
  closeOn,
  creatorWithPost,
  flattrAll,
  ledgersSound,
  type Node,
  type Payer,
  payer,
  receivedFlattrs,
  rowsIn,
  settle,
  startTrio,
  type Trio,
} from "./three-support.ts";

let t: Trio;
let a: Node; // alice pays here; pledges are held here
let b: Node; // bea and bex create here
let c: Node; // cyd claims an account on m here
let m: PlainFedify; // a server that speaks no Fediflattr: mo and max post there
let alice: Payer;
let bea: Creator;
let bex: Creator;
let moUri: string;
const P1 = "2027-01";
const P2 = "2027-02";
const IBAN_BEA = "DE02120300000000202051";
const IBAN_BEX = "FR1420041010050500013M02606";

const earnings = (cr: Creator) => balanceOf(cr.node.db, earningsAccount(cr.id), "EUR");

beforeAll(async () => {
  [t, m] = await Promise.all([
    startTrio("2027-01-12T12:00:00Z", [
      {},
      {
        PAYOUT_MINIMUM: "1.00",
        BANK_IBAN: "DE89 3704 0044 0532 0130 00",
        BANK_ACCOUNT_HOLDER: "B Instance e.V.",
        BANK_BIC: "COBADEFFXXX",
      },
      {},
    ]),
    startPlainFedify(),
  ]);
  ({ a, b, c } = t);
  for (const [x, y] of [
    [a, b],
    [b, a],
    [a, c],
    [c, a],
  ] as const)
    await admit(x, y);
  [bea, bex] = [await creatorWithPost(b, "bea"), await creatorWithPost(b, "bex")];
  moUri = m.addUser("mo");
  m.addUser("max");
  alice = await payer(a, "alice", 1000n);
  // 2.50 each: bea and bex on B, mo and max on m (held as pledges on A).
  await flattrAll(alice, [bea, bex]);
  await flattrPlain(alice, ["mo", "max"]);
  await receivedFlattrs(b, 2);
  // B is down while A closes January: A's summary is built but not delivered.
  await b.down();
  t.clock.set("2027-02-03T12:00:00Z");
  await closeOn(a, P1);
  await settlementRound(a.federation, a.deps);
  await b.up();
}, 240_000);
afterAll(async () => {
  await Promise.all([t?.stop(), m?.stop()]);
});

/** `p` flattrs a new post of each user of m (a server that speaks no Fediflattr). */
async function flattrPlain(p: Payer, usernames: string[]) {
  for (const username of usernames) {
    const actor = await cacheActor(p.node, `${m.origin}/users/${username}`);
    const thing = await remoteThingFor(p.node.db, t.clock, actor, {
      kind: "note",
      objectUri: m.addNote(username, `${username}'s post`),
      title: "a post",
    });
    await flattr(p.node.db, t.clock, p.node.deps.config, p.id, thing.id);
  }
}

type OutRow = NonNullable<Awaited<ReturnType<typeof findSent>>>;

/** A's lines of `s` as built. */
const linesOf = (s: OutRow) => summaryLines(a.db, s.id, 0, 1000);

/**
 * A's summary for `period` rewritten in A's database before delivery (as a faulty or dishonest
 * sender would send it) and delivered by A's worker; returns once B has answered it.
 */
async function sendAs(
  period: string,
  edit: { lines?: (l: SummaryLine[]) => SummaryLine[]; total?: bigint; previous?: string | null },
) {
  const s = (await findSent(a.db, b.host, period))!;
  const lines = edit.lines ? edit.lines(await linesOf(s)) : await linesOf(s);
  if (edit.lines) {
    await a.db.execute(sql`delete from settlement_lines_out where summary_id = ${s.id}`);
    // The pages kept when it was built go too: the collection then serves the rewritten lines.
    await a.db.execute(sql`delete from settlement_pages_out where summary_id = ${s.id}`);
    for (const [idx, l] of lines.entries())
      await a.db.execute(
        sql`insert into settlement_lines_out (summary_id, idx, creator_uri, amount, flattrs, like_ids)
            values (${s.id}, ${idx}, ${l.creator}, ${l.amount.toString()}::int8, ${l.flattrs},
                    ${sql.raw(`ARRAY[${(l.likes ?? []).map((x) => `'${x}'`).join(",")}]::text[]`)})`,
      );
  }
  const fields = {
    period: s.period,
    currency: s.currency,
    sequence: s.sequence,
    previous: edit.previous === undefined ? s.prevHash : edit.previous,
    total: edit.total ?? lines.reduce((x, l) => x + l.amount, 0n),
    lineCount: lines.length,
    flattrCount: lines.reduce((x, l) => x + l.flattrs, 0),
    linesHash: linesHash(lines, s.currency),
  };
  const hash = summaryHash(fields);
  await a.db.execute(
    sql`update settlement_summaries_out
        set prev_hash = ${fields.previous}, total = ${fields.total.toString()}::int8, line_count = ${fields.lineCount},
            flattr_count = ${fields.flattrCount}, lines_hash = ${fields.linesHash}, hash = ${hash},
            state = 'sent', reason = null, final = null, message = null, answered_at = null,
            next_attempt_at = ${t.clock.now().toISOString()}::timestamptz
        where id = ${s.id}`,
  );
  await settle(
    t.all,
    async () => {
      const [row] = await queryRows<{ n: string }>(
        b.db,
        sql`select count(*)::text as n from settlement_summaries_in
            where hash = ${hash} and answer_due_at is null and decided_at is not null`,
      );
      return row!.n === "1";
    },
    `B answered ${JSON.stringify(Object.keys(edit))}`,
  );
  return (await findSent(a.db, b.host, period))!;
}

type Liked = Extract<SummaryLine, { likes: string[] }>;
let original: SummaryLine[] = [];
let moved: () => Promise<{ clearing: bigint; bea: bigint; bex: bigint }>;

describe("refused over the wire, nothing moved", () => {
  beforeAll(async () => {
    original = await linesOf((await findSent(a.db, b.host, P1))!);
    expect(original.map((l) => [l.creator, l.amount, l.likes?.length])).toEqual([
      [`${b.origin}/users/bea`, 250n, 1],
      [`${b.origin}/users/bex`, 250n, 1],
    ]);
    moved = async () => ({
      clearing: await balanceOf(b.db, clearingAccount(a.host), "EUR"),
      bea: await earnings(bea),
      bex: await earnings(bex),
    });
  });
  const nothing = { clearing: 0n, bea: 0n, bex: 0n };

  it("a tampered total: Reject total, final", async () => {
    const s = await sendAs(P1, { total: 600n });
    expect(s).toMatchObject({ state: "rejected", reason: "total", final: true });
    expect(await moved()).toEqual(nothing);
    await ledgersSound(t);
  });

  it("Likes of another creator: Reject likes", async () => {
    // bea's line pays bex's Like and the other way round (the hashes are right).
    const [x, y] = original as [Liked, Liked];
    const s = await sendAs(P1, {
      lines: () => [
        { ...x, likes: y.likes },
        { ...y, likes: x.likes },
      ],
    });
    expect(s).toMatchObject({ state: "rejected", reason: "likes", final: true });
    expect(s.message).toContain("bea");
    expect(await moved()).toEqual(nothing);
    await ledgersSound(t);
  });

  it("a Like named in two lines: Reject likes", async () => {
    // Both lines are bea's and name her one Like: each line alone holds, the summary does not.
    const [x] = original as [Liked, Liked];
    const s = await sendAs(P1, { lines: () => [x, { ...x }] });
    expect(s).toMatchObject({ state: "rejected", reason: "likes", final: true });
    expect(s.message).toContain("more than one line");
    expect(await moved()).toEqual(nothing);
    await ledgersSound(t);
  });

  it("a line counting more flattrs than its Likes: Reject likes", async () => {
    const [x, y] = original as [Liked, Liked];
    const s = await sendAs(P1, { lines: () => [x, { ...y, flattrs: 2 }] });
    expect(s).toMatchObject({ state: "rejected", reason: "likes", final: true });
    expect(s.message).toContain("Line 1");
    expect(s.message).toContain("bex");
    expect(await moved()).toEqual(nothing);
    await ledgersSound(t);
  });

  it("an unknown creator: Reject creator", async () => {
    const s = await sendAs(P1, {
      lines: (l) => l.map((x, i) => (i === 1 ? { ...x, creator: `${b.origin}/users/nobody` } : x)),
    });
    expect(s).toMatchObject({ state: "rejected", reason: "creator", final: true });
    expect(s.message).toContain("/users/nobody");
    expect(await moved()).toEqual(nothing);
    await ledgersSound(t);
  });

  it("a user's key instead of the instance actor, and a broken proof: 401 signature", async () => {
    const s = (await findSent(a.db, b.host, P1))!;
    const ctx = federationContext(a.federation, a.deps);
    const offer = (actor: string) =>
      buildSummaryOffer({
        id: `${a.origin}/settlement/summaries/${s.id}`,
        actor,
        to: `${b.origin}/actor`,
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
        linesUrl: `${a.origin}/settlement/summaries/${s.id}/lines`,
      });
    const post = async (identifier: string, body: Record<string, unknown>) => {
      const pairs = await ctx.getActorKeyPairs(identifier);
      const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5")!;
      return fetch(
        await signRequest(
          new Request(`${b.origin}/inbox`, {
            method: "POST",
            headers: { "content-type": "application/activity+json" },
            body: JSON.stringify(body),
          }),
          rsa.privateKey,
          rsa.keyId,
        ),
      );
    };
    const sign = async (identifier: string, doc: Record<string, unknown>) => {
      const ed = (await ctx.getActorKeyPairs(identifier)).find(
        (p) => p.privateKey.algorithm.name === "Ed25519",
      )!;
      return signJson(doc, ed.privateKey, ed.multikey.id!, ctx.contextLoader, t.clock.now());
    };
    const before = await rowsIn(b, a);

    // alice (a Person on A) signs a summary in her own name: HTTP signature and proof hers.
    const byAlice = await post("alice", await sign("alice", offer(`${a.origin}/users/alice`)));
    expect(byAlice.status).toBe(401);
    expect(await byAlice.json()).toMatchObject({ reason: "signature" });

    // The instance actor's summary and keys, but the total raised after the proof was made.
    const signed = (await sign(INSTANCE_ACTOR, offer(`${a.origin}/actor`))) as {
      object: { flattrTotal: string };
    };
    signed.object.flattrTotal = "1000.00";
    const broken = await post(INSTANCE_ACTOR, signed as unknown as Record<string, unknown>);
    expect(broken.status).toBe(401);
    expect(await broken.json()).toMatchObject({ reason: "signature" });

    expect(await rowsIn(b, a)).toEqual(before);
    expect(await moved()).toEqual(nothing);
    await ledgersSound(t);
  });

  it("the corrected summary is accepted", async () => {
    const s = await sendAs(P1, { lines: () => original });
    expect(s.state).toBe("accepted");
    expect(await moved()).toEqual({ clearing: -500n, bea: 250n, bex: 250n });
    expect((await rowsIn(b, a)).map((r) => [r.state, r.reason])).toEqual([
      ["rejected", "total"],
      ["rejected", "likes"],
      ["rejected", "likes"],
      ["rejected", "likes"],
      ["rejected", "creator"],
      ["accepted", null],
    ]);
    await ledgersSound(t);
  });

  it("a broken chain: Reject sequence, retryable; then the right one is accepted", async () => {
    t.clock.set("2027-02-10T12:00:00Z");
    await flattrAll(alice, [bea]);
    await receivedFlattrs(b, 3);
    await b.down();
    t.clock.set("2027-03-03T12:00:00Z");
    await closeOn(a, P2);
    await settlementRound(a.federation, a.deps);
    await b.up();
    const right = (await findSent(a.db, b.host, P2))!;
    expect(right).toMatchObject({
      sequence: 2,
      prevHash: (await findSent(a.db, b.host, P1))!.hash,
    });

    const s = await sendAs(P2, { previous: "ab".repeat(32) });
    // Retryable: A keeps it to deliver again (corrected), B credits nothing.
    expect(s).toMatchObject({ state: "sent", reason: "sequence", final: false });
    expect(await moved()).toEqual({ clearing: -500n, bea: 250n, bex: 250n });
    await ledgersSound(t);

    const fixed = await sendAs(P2, { previous: right.prevHash });
    expect(fixed.state).toBe("accepted");
    expect(await moved()).toEqual({ clearing: -1500n, bea: 1250n, bex: 250n });
    await ledgersSound(t);
  });
});

describe("claims, pledges, payouts", () => {
  it("a claim made on C is verified by A itself; a rival one on A is shown to A's admin", async () => {
    const heldBefore = await balanceOf(a.db, PLEDGES, "EUR");
    expect(heldBefore).toBe(500n);
    const lookupC = fedifyLookup(c.federation, c.deps);
    const cyd = await insertUser(c, "cyd");
    const started = await startClaim(c.deps, lookupC, cyd, moUri);
    if (!started.ok) throw started.error;
    const proof = m.addNote("mo", `<p>It is me: ${started.value.code}</p>`);
    const won = await verifyClaim(c.deps, lookupC, cyd, started.value.id, proof);
    if (!won.ok) throw won.error;
    expect(won.value.state).toBe("won");
    // (The worker's own schedule may announce it first: either way it goes out once.)
    await announceClaims(c.federation, c.deps);
    // A read the proof on m itself and moved mo's held share to clearing:C.
    await waitFor(
      async () => ((await balanceOf(a.db, PLEDGES, "EUR")) === 250n ? true : null),
      90_000,
    );
    expect(m.requests).toContain(`GET ${new URL(proof).pathname}`);
    expect(await balanceOf(a.db, clearingAccount(c.host), "EUR")).toBe(250n);

    // amy on A claims mo too, later: verified, but a rival; it takes nothing.
    const lookupA = fedifyLookup(a.federation, a.deps);
    const amy = await insertUser(a, "amy");
    const rival = await startClaim(a.deps, lookupA, amy, moUri);
    if (!rival.ok) throw rival.error;
    const rivalProof = m.addNote("mo", `also me ${rival.value.code}`);
    const lost = await verifyClaim(a.deps, lookupA, amy, rival.value.id, rivalProof);
    expect(lost.ok && lost.value.state).toBe("rival");
    expect((await verifiedClaims(a.deps)).map((x) => [x.claimant.handle, x.state])).toEqual([
      [`cyd@${c.host}`, "won"],
      [`amy@${a.host}`, "rival"],
    ]);
    expect(await balanceOf(a.db, PLEDGES, "EUR")).toBe(250n);
    await ledgersSound(t);
  });

  it("payouts on B: approved, exported, one paid, one failed", async () => {
    t.clock.set("2027-03-11T12:00:00Z"); // February is payable from the 10th
    // What A owes for January and February arrived at B.
    const rec = await cli(b, [
      "clearing",
      "record",
      a.host,
      "15.00",
      "--reference",
      "A-2027-02",
      "--direction",
      "received",
    ]);
    expect(rec.code, rec.stderr).toBe(0);
    const ids: number[] = [];
    for (const [cr, iban] of [
      [bea, IBAN_BEA],
      [bex, IBAN_BEX],
    ] as const) {
      const details = await setPayoutDetails(b.db, t.clock, cr.id, { holder: cr.username, iban });
      expect(details.ok).toBe(true);
      const r = await requestPayout(b.db, t.clock, b.deps.config, cr.id, { source: "earnings" });
      if (!r.ok) throw r.error;
      ids.push(r.value.id);
    }
    const approved = await cli(b, ["payouts", "approve", "--all"]);
    expect(approved.code, approved.stderr).toBe(0);
    const batch = /Batch #(\d+)/.exec(approved.stdout)![1]!;
    // Reserved at once: nothing left in earnings.
    expect([await earnings(bea), await earnings(bex)]).toEqual([0n, 0n]);

    const dir = await mkdtemp(join(tmpdir(), "ff-three-"));
    try {
      const out = join(dir, "batch.xml");
      const exported = await cli(b, ["payouts", "export", batch, "--output", out]);
      expect(exported.code, exported.stderr).toBe(0);
      const file = readPain001(await readFile(out, "utf8"));
      expect(file).toMatchObject({ count: 2, controlSum: "15.00" });
      expect(file.paymentInfos).toEqual([
        {
          count: 2,
          controlSum: "15.00",
          debtorIban: "DE89370400440532013000",
          debtorName: "B Instance e.V.",
        },
      ]);
      expect(file.transfers.map((x) => [x.iban, x.amount, x.endToEndId])).toEqual([
        [IBAN_BEA, "12.50", `FEDIFLATTR-PAYOUT-${ids[0]}`],
        [IBAN_BEX, "2.50", `FEDIFLATTR-PAYOUT-${ids[1]}`],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // bex's transfer bounced: back to his earnings; bea's is paid.
    const failed = await cli(b, ["payouts", "fail", String(ids[1]), "--reason", "IBAN closed"]);
    expect(failed.code, failed.stderr).toBe(0);
    expect(await earnings(bex)).toBe(250n);
    const paidBefore = await balanceOf(b.db, PAYOUTS, "EUR");
    const paid = await cli(b, ["payouts", "mark-paid", batch]);
    expect(paid.code, paid.stderr).toBe(0);
    expect((await balanceOf(b.db, PAYOUTS, "EUR")) - paidBefore).toBe(1250n);
    expect(await earnings(bea)).toBe(0n);
    await ledgersSound(t);
  });

  it("a pledge goes back to the payer after the hold; the claimed one does not", async () => {
    const wallet = await balanceOf(a.db, walletAccount(alice.id), "EUR");
    const due = pledgeReturnsAt(P1, a.deps.config);
    t.clock.set(new Date(due.getTime() - 60_000));
    await returnExpiredPledges(a.db, t.clock, a.deps.config);
    expect(await balanceOf(a.db, PLEDGES, "EUR")).toBe(250n);
    t.clock.set(new Date(due.getTime() + 60_000));
    await returnExpiredPledges(a.db, t.clock, a.deps.config);
    await returnExpiredPledges(a.db, t.clock, a.deps.config);
    // max's 2.50 is back in alice's wallet, once; mo's went to C's claimant.
    expect(await balanceOf(a.db, PLEDGES, "EUR")).toBe(0n);
    expect(await balanceOf(a.db, walletAccount(alice.id), "EUR")).toBe(wallet + 250n);
    expect(await balanceOf(a.db, clearingAccount(c.host), "EUR")).toBe(250n);
    await ledgersSound(t);
  });
});
