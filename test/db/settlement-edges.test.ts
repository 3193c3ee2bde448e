// Edges of settlement (issue 10 points 2, 3 and the small fixes): what the command line says to
// arguments that are not what they should be, summaries from peers that are not admitted, and
// Likes a summary names that never arrived here. The wire is tested with real instances in
// test/federation/settlement-edges.test.ts.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { registerThing } from "../../src/flattr/things.ts";
import {
  balanceOf,
  checkLedger,
  clearingAccount,
  earningsAccount,
} from "../../src/ledger/index.ts";
import { admitPeer, suspendPeer } from "../../src/peers/admission.ts";
import {
  linesHash,
  type SummaryFields,
  type SummaryLine,
  summaryHash,
} from "../../src/settlement/summaries/canonical.ts";
import type { FetchedLike, LikeFetcher } from "../../src/settlement/summaries/fetched-likes.ts";
import { LinesUnavailable, processReceived } from "../../src/settlement/summaries/process.ts";
import { recordReceived } from "../../src/settlement/summaries/received.ts";
import { upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

const A = "a.example";
const B = "b.example";
const configA: Config = testConfig({ ORIGIN: `https://${A}`, FEE_BP: "0" });
const configB: Config = testConfig({
  ORIGIN: `https://${B}`,
  FEE_BP: "0",
  PLEDGE_HOLD_MONTHS: "6",
});
let dbA: Database;
let dbB: Database;
const after = fixedClock("2027-04-03T12:00:00Z");

beforeAll(async () => {
  [dbA, dbB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([dbA?.close(), dbB?.close()]);
});

/** A summary from `peer` to B with these lines (hashes right), as B's inbox keeps it. */
async function receive(peer: string, period: string, lines: SummaryLine[]) {
  const fields: SummaryFields = {
    period,
    currency: "EUR",
    sequence: 1,
    previous: null,
    total: lines.reduce((n, l) => n + l.amount, 0n),
    lineCount: lines.length,
    flattrCount: lines.reduce((n, l) => n + l.flattrs, 0),
    linesHash: linesHash(lines, "EUR"),
  };
  const hash = summaryHash(fields);
  const r = await recordReceived(dbB.db, after, {
    peerHost: peer,
    activityId: `https://${peer}/settlement/summaries/${hash.slice(0, 8)}/offer`,
    actorUri: `https://${peer}/actor`,
    fields,
    hash,
    linesUrl: `https://${peer}/settlement/summaries/${hash.slice(0, 8)}/lines`,
    raw: "{}",
  });
  return {
    summary: r.summary,
    lines: async function* () {
      yield* lines;
    },
  };
}

const state = async (id: number) => {
  const [row] = await queryRows<{ state: string; reason: string | null; final: boolean | null }>(
    dbB.db,
    sql`select state, reason, final, answer_due_at is not null as owed
        from settlement_summaries_in where id = ${id}`,
  );
  return row;
};

describe("settlement and clearing arguments", () => {
  const cliA = (args: string[]) =>
    runCliWith(args, { deps: { config: configA, database: dbA, clock: after } });

  it("settlements withdraw says a period or a host is invalid, not that there is no summary", async () => {
    for (const period of ["2026-13", "2026-00", "26-03", "0000-01", "march"]) {
      const r = await cliA(["settlements", "withdraw", B, period]);
      expect(r.code, period).toBe(1);
      expect(r.stderr, period).toContain(`Not a period: "${period}"`);
      expect(r.stderr, period).not.toContain("No summary");
    }
    const host = await cliA(["settlements", "withdraw", "not a host", "2027-03"]);
    expect(host.code).toBe(1);
    expect(host.stderr).toContain('Not a server name: "not a host"');
    // A well-formed period with nothing sent: now "No summary" is the truth.
    const none = await cliA(["settlements", "withdraw", `HTTPS://${B.toUpperCase()}/`, "2027-03"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`No summary to ${B} for 2027-03.`);
  });

  it("settlements <peer> and clearing record refuse what is not a host or an amount", async () => {
    const list = await cliA(["settlements", "no/such host"]);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("Not a server name");
    const rec = (peer: string, amount: string, reference = "R-1") =>
      cliA(["clearing", "record", peer, amount, "--reference", reference, "--direction", "sent"]);
    expect((await rec("not a host", "1.00")).stderr).toContain("Not a server name");
    expect((await rec(B, "ten")).stderr).toContain("positive amount");
    expect((await rec(B, "1.001")).stderr).toContain("positive amount");
    expect((await rec(B, "0")).stderr).toContain("positive amount");
    expect((await rec(B, "1.00", " ")).stderr).toContain("reference");
    expect((await cliA(["clearing"])).stderr).toContain("nothing settled yet");
  });
});

describe("summaries from peers that are not admitted", () => {
  const line = (n: number): SummaryLine => ({
    creator: `https://${B}/users/nobody`,
    amount: 100n + BigInt(n),
    flattrs: 1,
    likes: [`https://x.example/flattrs/${n}`],
  });
  const unreachable = () => ({
    // biome-ignore lint/correctness/useYield: it fails before the first line
    async *[Symbol.asyncIterator]() {
      throw new LinesUnavailable("connection refused");
    },
  });

  it("wait, unanswered, while the peer is merely not admitted; decided once it is", async () => {
    const { summary } = await receive("c.example", "2027-03", [line(1)]);
    const d = await processReceived(dbB.db, after, configB, summary, unreachable);
    expect(d).toMatchObject({ state: "waiting" });
    expect(await state(summary.id)).toMatchObject({
      state: "received",
      reason: "not_admitted",
      final: null,
      owed: false,
    });
    // Admitted: the checks go on (here to the lines, which cannot be fetched now).
    await admitPeer(dbB.db, after, configB, "c.example");
    const again = await processReceived(dbB.db, after, configB, summary, unreachable);
    expect(again).toMatchObject({ state: "waiting", message: "connection refused" });
    expect(await state(summary.id)).toMatchObject({ state: "received", reason: "unavailable" });
  });

  it("are refused not_admitted (final) once the peer is suspended, or the hold has ended", async () => {
    await admitPeer(dbB.db, after, configB, "d.example");
    await suspendPeer(dbB.db, after, configB, "d.example");
    const suspended = await receive("d.example", "2027-03", [line(2)]);
    expect(
      await processReceived(dbB.db, after, configB, suspended.summary, unreachable),
    ).toMatchObject({ state: "rejected", reason: "not_admitted", final: true });
    expect(await state(suspended.summary.id)).toMatchObject({
      state: "rejected",
      reason: "not_admitted",
      final: true,
      owed: true,
    });

    // Never admitted: the hold (6 months) of August 2026 ended on 2027-03-01, of October on
    // 2027-05-01 (not yet).
    const old = await receive("e.example", "2026-08", [line(3)]);
    const d = await processReceived(dbB.db, after, configB, old.summary, unreachable);
    expect(d).toMatchObject({ state: "rejected", reason: "not_admitted", final: true });
    expect(d.state === "rejected" && d.message).toContain("end of the hold");
    const recent = await receive("e.example", "2026-10", [line(4)]);
    expect(
      await processReceived(dbB.db, after, configB, recent.summary, unreachable),
    ).toMatchObject({ state: "waiting" });
    expect(await checkLedger(dbB.db)).toEqual([]);
  });
});

describe("a Like a summary names that never arrived", () => {
  const peer = A;
  let carol: number;
  let carolThing: string;
  let daveThing: string;
  let n = 0;

  beforeAll(async () => {
    await admitPeer(dbB.db, after, configB, peer);
    carol = await makeUser(dbB.db, "carol");
    const dave = await makeUser(dbB.db, "dave");
    const thing = async (owner: number, name: string) => {
      const { thing } = await registerThing(dbB.db, after, configB, owner, {
        url: `https://pages.example/${name}`,
        title: name,
      });
      return `https://${B}/things/${thing.id}`;
    };
    carolThing = await thing(carol, "carol");
    daveThing = await thing(dave, "dave");
  });

  /** A summary for carol naming one Like B never received; `like` is what its id serves. */
  async function decide(like: (id: string) => FetchedLike | null) {
    const id = `https://${peer}/flattrs/lost-${++n}`;
    const { summary, lines } = await receive(peer, "2027-03", [
      { creator: `https://${B}/users/carol`, amount: 100n + BigInt(n), flattrs: 1, likes: [id] },
    ]);
    const fetcher: LikeFetcher = {
      like: async (asked) => (asked === id ? like(id) : null),
      payer: async (uri) => {
        const row = await upsertRemoteActor(dbB.db, after, {
          uri,
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
        return { id: row.id, uri: row.uri, host: row.host };
      },
    };
    return { id, decision: await processReceived(dbB.db, after, configB, summary, lines, fetcher) };
  }
  const good = (id: string): FetchedLike => ({
    id,
    actor: `https://${peer}/users/payer`,
    object: carolThing,
    period: "2027-03",
    currency: "EUR",
    payerInstance: `https://${peer}/actor`,
    protocolVersion: "1",
  });
  const incoming = async (id: string) =>
    (await queryRows(dbB.db, sql`select 1 from incoming_flattrs where activity_id = ${id}`)).length;

  it("is refused `likes` unless it is a Like by that peer, of that creator's thing, in that period", async () => {
    const cases: [string, (id: string) => FetchedLike | null, string][] = [
      ["gone or no Like", () => null, "not a Like with the payment extension"],
      ["another id", (id) => ({ ...good(id), id: `${id}-other` }), "another document"],
      [
        "an actor elsewhere",
        (id) => ({ ...good(id), actor: "https://c.example/users/mallory" }),
        "not an actor on",
      ],
      ["another period", (id) => ({ ...good(id), period: "2027-02" }), "not of 2027-03"],
      ["another creator's thing", (id) => ({ ...good(id), object: daveThing }), "not a thing of"],
      ["another currency", (id) => ({ ...good(id), currency: "USD" }), "settles in EUR"],
    ];
    for (const [what, like, says] of cases) {
      const { id, decision } = await decide(like);
      expect(decision, what).toMatchObject({ state: "rejected", reason: "likes", final: true });
      expect(decision.state === "rejected" && decision.message, what).toContain(says);
      expect(await incoming(id), what).toBe(0);
    }
    expect(await balanceOf(dbB.db, earningsAccount(carol), "EUR")).toBe(0n);
    expect(await checkLedger(dbB.db)).toEqual([]);
  });

  it("is recorded as an incoming flattr and the summary credited when it checks out", async () => {
    const { id, decision } = await decide(good);
    expect(decision).toEqual({ state: "accepted" });
    expect(await incoming(id)).toBe(1);
    const credited = 100n + BigInt(n);
    expect(await balanceOf(dbB.db, earningsAccount(carol), "EUR")).toBe(credited);
    expect(await balanceOf(dbB.db, clearingAccount(peer), "EUR")).toBe(-credited);
    expect(await checkLedger(dbB.db)).toEqual([]);
  });
});
