// A settlement summary of 100,000 lines between two real instances over loopback HTTP (issue 10
// point 10): A's payers flattred 100,000 creators on B once each (seeded set-based by the
// benchmark's seed); A closes the month, builds and sends the signed Offer; B fetches the lines in
// pages with signed GETs, checks them all (hash, totals, creators, Likes) and credits every
// creator in one transaction; A records the Accept. Credited to the cent, ledgers clean.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { periodOf, seedCreators, seedPayers } from "../../bench/summary/seed.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import { ensurePeerKnown } from "../../src/federation/peer-info.ts";
import { settlementRound } from "../../src/federation/settlement/worker.ts";
import { balanceOf, clearingAccount } from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { nextPeriod, periodBounds } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { shareStateSql } from "../../src/settlement/share-state.ts";
import { findSent } from "../../src/settlement/summaries/sent.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { expectLedgersSound } from "./money-support.ts";

const N = 100_000;
const sizes = { creators: N, payers: 1000, periods: 1 };
const period = periodOf(1);

let a: TestInstance; // payers
let b: TestInstance; // creators
let dbA: Db;
let dbB: Db;
const hostOf = (origin: string) => new URL(origin).host;

beforeAll(async () => {
  // Web role, no worker: the test drives the settlement rounds (and the close) itself.
  [a, b] = await Promise.all([
    startTestInstance({}, { role: "web" }),
    startTestInstance({}, { role: "web" }),
  ]);
  dbA = a.deps.database.db;
  dbB = b.deps.database.db;
  await Promise.all([
    seedPayers(dbA, a.deps.config, b.deps.config, sizes),
    seedCreators(dbB, a.deps.config, b.deps.config, sizes),
  ]);
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    expect((await ensurePeerKnown(from.deps, hostOf(to.origin))).speaksFlattr).toBe(true);
    await admitPeer(from.deps.database.db, from.deps.clock, from.deps.config, hostOf(to.origin));
  }
  const after = periodBounds(nextPeriod(period), a.deps.config.timeZone).start;
  await closePeriod(dbA, fixedClock(new Date(after.getTime() + 86_400_000)), a.deps.config, period);
}, 300_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

describe("a summary of 100,000 lines", () => {
  it("is accepted and credits every creator to the cent", async () => {
    const owed = await balanceOf(dbA, clearingAccount(hostOf(b.origin)), "EUR");
    expect(owed).toBeGreaterThan(0n);

    expect(await settlementRound(a.federation, a.deps)).toMatchObject({ built: 1, delivered: 1 });
    const sent = (await findSent(dbA, hostOf(b.origin), period))!;
    expect(sent).toMatchObject({ lineCount: N, flattrCount: N, total: owed, state: "sent" });

    expect(await settlementRound(b.federation, b.deps)).toMatchObject({ decided: 1, answered: 1 });
    expect((await findSent(dbA, hostOf(b.origin), period))?.state).toBe("accepted");

    // Every creator credited once, with what A's shares hold for them, and all of it.
    const [credit] = await queryRows<{ n: string; sum: string }>(
      dbB,
      sql`select count(*)::text as n, coalesce(sum(amount), 0)::text as sum from ledger_postings
          where account like 'earnings:%'`,
    );
    expect(credit).toEqual({ n: String(N), sum: owed.toString() });
    expect(await balanceOf(dbB, clearingAccount(hostOf(a.origin)), "EUR")).toBe(-owed);
    // Each creator exactly what A's shares hold for them (creator cI is user I on both sides).
    const shares = await queryRows<{ u: string; amount: string }>(
      dbA,
      sql`select substring(r.uri from '/users/c([0-9]+)$') as u, sum(s.amount)::text as amount
          from remote_shares s join remote_actors r on r.id = s.remote_actor_id
          where s.period = ${period} group by r.uri`,
    );
    const earned = await queryRows<{ u: string; amount: string }>(
      dbB,
      sql`select substring(account from 10) as u, amount::text from ledger_postings
          where account like 'earnings:%'`,
    );
    const byCreator = new Map(earned.map((e) => [e.u, e.amount]));
    expect(shares).toHaveLength(N);
    expect(shares.filter((s) => byCreator.get(s.u) !== s.amount)).toEqual([]);
    const [mismatch] = await queryRows<{ n: string }>(
      dbA,
      sql`select count(*)::text as n from remote_shares s join remote_actors r on r.id = s.remote_actor_id
          where s.period = ${period} and ${shareStateSql(sql`s`)} <> 'settled'`,
    );
    expect(mismatch?.n).toBe("0");
    await expectLedgersSound(a, b);
  }, 300_000);
});
