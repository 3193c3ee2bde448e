// Unclaimed creators' shares return to the payers' wallets when the hold ends (fake clock): one
// entry per payer and period, exactly once, shown in the statement of the month they return in.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { balanceOf, checkLedger, PLEDGES, walletAccount } from "../../src/ledger/index.ts";
import { admitPeer, suspendPeer } from "../../src/peers/admission.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { periodFlattrs } from "../../src/settlement/my-flattrs.ts";
import { returnExpiredPledges } from "../../src/settlement/pledge-returns.ts";
import { statement } from "../../src/settlement/statement.ts";
import { buildSummary } from "../../src/settlement/summaries/build.ts";
import { recordAnswer } from "../../src/settlement/summaries/sent.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { markPeer, remoteActor, remoteNote } from "../helpers/remote.ts";

let database: Database;
let db: Db;
const config: Config = testConfig({ FEE_BP: "1000", FLATTR_RATE_LIMIT: "100/1" });
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

describe("returning held shares at the end of the hold", () => {
  it("returns each payer's period once, on the first day after PLEDGE_HOLD_MONTHS", async () => {
    const clock = fixedClock("2026-10-05T12:00:00Z");
    const P = "2026-10";
    await markPeer(db, clock, config, "peer.example");
    await admitPeer(db, clock, config, "peer.example");
    const mia = await remoteActor(db, clock, "masto.example", "mia");
    const zed = await remoteActor(db, clock, "other.example", "zed");
    const bob = await remoteActor(db, clock, "peer.example", "bob");
    const notes = [
      await remoteNote(db, clock, mia),
      await remoteNote(db, clock, zed),
      await remoteNote(db, clock, bob),
    ];
    const payers = [await makeUser(db), await makeUser(db)];
    for (const u of payers) {
      await deposit(db, config, u, 1000n);
      await setBudget(db, clock, config, u, 300n);
      for (const t of notes) await flattr(db, clock, config, u, t.id);
    }
    await closePeriod(db, fixedClock("2026-11-02T00:00:00Z"), config, P);
    // 300 − 30 fee = 270 over 3: 90 each, two unclaimed per payer.
    expect(await balanceOf(db, PLEDGES, config.currency)).toBe(360n);
    expect(await balanceOf(db, walletAccount(payers[0]!), config.currency)).toBe(700n);

    // The day before the hold ends: nothing.
    const before = await returnExpiredPledges(db, fixedClock("2027-04-30T23:59:59Z"), config);
    expect(before).toEqual({ entries: 0, shares: 0, amount: 0n });

    const at = fixedClock("2027-05-01T00:00:00Z");
    const returned = await returnExpiredPledges(db, at, config);
    expect(returned).toEqual({ entries: 2, shares: 4, amount: 360n });
    expect(await balanceOf(db, PLEDGES, config.currency)).toBe(0n);
    expect(await balanceOf(db, walletAccount(payers[0]!), config.currency)).toBe(880n);
    // The peer's creator (an admitted peer) is not returned.
    const states = await queryRows<{ remote_actor_id: string; state: string }>(
      db,
      sql`select distinct remote_actor_id::text, state from remote_shares where period = ${P}`,
    );
    expect(new Map(states.map((s) => [s.remote_actor_id, s.state]))).toEqual(
      new Map([
        [String(mia.id), "returned"],
        [String(zed.id), "returned"],
        [String(bob.id), "open"],
      ]),
    );

    // Again, or later: nothing more.
    expect(await returnExpiredPledges(db, at, config)).toEqual({
      entries: 0,
      shares: 0,
      amount: 0n,
    });
    expect(await returnExpiredPledges(db, fixedClock("2027-09-01T00:00:00Z"), config)).toEqual({
      entries: 0,
      shares: 0,
      amount: 0n,
    });

    const entries = await queryRows<{
      idempotency_key: string;
      kind: string;
      period: string | null;
    }>(
      db,
      sql`select idempotency_key, kind, period from ledger_entries where kind = 'pledge_return' order by id`,
    );
    expect(entries).toEqual([
      {
        idempotency_key: `pledge-return:${P}:${payers[0]}`,
        kind: "pledge_return",
        period: "2027-05",
      },
      {
        idempotency_key: `pledge-return:${P}:${payers[1]}`,
        kind: "pledge_return",
        period: "2027-05",
      },
    ]);

    // The payer sees it: the flattrs as returned, the money in the statement of May 2027.
    const flattrs = await periodFlattrs(db, config, payers[0]!, P);
    expect(flattrs.flattrs.map((f) => f.status).sort()).toEqual([
      "in_transit",
      "returned",
      "returned",
    ]);
    const may = await statement(db, config, payers[0]!, "2027-05");
    expect(may.payer.movements.map((m) => [m.kind, m.amount, m.metadata.from])).toContainEqual([
      "pledge_return",
      180n,
      P,
    ]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("returns a suspended peer's shares unless it accepted their summary (ADR 0029)", async () => {
    const clock = fixedClock("2027-02-05T12:00:00Z");
    const P = "2027-02";
    for (const host of ["settled.example", "unanswered.example"]) {
      await markPeer(db, clock, config, host);
      await admitPeer(db, clock, config, host);
    }
    const cat = await remoteActor(db, clock, "settled.example", "cat");
    const dan = await remoteActor(db, clock, "unanswered.example", "dan");
    const notes = [await remoteNote(db, clock, cat), await remoteNote(db, clock, dan)];
    const payer = await makeUser(db);
    await deposit(db, config, payer, 1000n);
    await setBudget(db, clock, config, payer, 200n);
    for (const t of notes) await flattr(db, clock, config, payer, t.id);
    const closed = fixedClock("2027-03-02T00:00:00Z");
    await closePeriod(db, closed, config, P);
    // settled.example accepts its summary (the shares' rows stay open); unanswered.example's
    // is never answered. Then both are suspended.
    for (const host of ["settled.example", "unanswered.example"]) {
      const built = await buildSummary(db, closed, config, host, P);
      expect(built).not.toBeNull();
      if (host === "settled.example")
        expect((await recordAnswer(db, closed, host, built!.hash, { kind: "accept" }))?.state).toBe(
          "accepted",
        );
      expect((await suspendPeer(db, closed, config, host)).ok).toBe(true);
    }
    // 200 − 20 fee = 180 over 2: only dan's 90 returns when the hold ends.
    expect(await returnExpiredPledges(db, fixedClock("2027-09-01T00:00:00Z"), config)).toEqual({
      entries: 1,
      shares: 1,
      amount: 90n,
    });
    expect(await balanceOf(db, walletAccount(payer), config.currency)).toBe(890n);
    const flattrs = await periodFlattrs(db, config, payer, P);
    expect(flattrs.flattrs.map((f) => [f.creator.host, f.status])).toEqual(
      expect.arrayContaining([
        ["settled.example", "paid"],
        ["unanswered.example", "returned"],
      ]),
    );
    expect(await checkLedger(db)).toEqual([]);
  });

  it("holds for PLEDGE_HOLD_MONTHS: 0 returns on the first day after the month's close month", async () => {
    const short = testConfig({ PLEDGE_HOLD_MONTHS: "0", FLATTR_RATE_LIMIT: "100/1" });
    const clock = fixedClock("2026-12-05T12:00:00Z");
    const ann = await remoteActor(db, clock, "masto.example", "ann");
    const note = await remoteNote(db, clock, ann);
    const u = await makeUser(db);
    await deposit(db, short, u, 500n);
    await setBudget(db, clock, short, u, 200n);
    await flattr(db, clock, short, u, note.id);
    await closePeriod(db, fixedClock("2027-01-01T02:00:00Z"), short, "2026-12");
    expect(await returnExpiredPledges(db, fixedClock("2026-12-31T23:00:00Z"), short)).toMatchObject(
      { entries: 0 },
    );
    expect(await returnExpiredPledges(db, fixedClock("2027-01-01T03:00:00Z"), short)).toEqual({
      entries: 1,
      shares: 1,
      amount: 200n,
    });
    expect(await balanceOf(db, walletAccount(u), short.currency)).toBe(500n);
    expect(await checkLedger(db)).toEqual([]);
  });
});
