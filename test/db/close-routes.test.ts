// The close routes remote creators' shares: a peer's creators to clearing:<peer>, unclaimed ones
// to pledges, along routes frozen at the seal; each remote share is recorded with its Likes, and
// the ledger check proves clearing and pledges balances equal their open records.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { type Flattr, flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import {
  balanceOf,
  checkLedger,
  clearingAccount,
  earningsAccount,
  FEES,
  PLEDGES,
  reverseEntry,
  walletAccount,
} from "../../src/ledger/index.ts";
import { allocate } from "../../src/money/allocate.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { periodFlattrs } from "../../src/settlement/my-flattrs.ts";
import { idKey } from "../helpers/close-oracle.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { markPeer, remoteActor, remoteNote } from "../helpers/remote.ts";

let database: Database;
let db: Db;
const config: Config = testConfig({
  FEE_BP: "1000",
  FLATTR_RATE_LIMIT: "1000/1",
  MAX_FLATTRS_PER_PERIOD: "1000",
});

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const cur = config.currency;

async function payer(clock: ReturnType<typeof fixedClock>, balance = 1000n, budget = 500n) {
  const u = await makeUser(db);
  await deposit(db, config, u, balance);
  await setBudget(db, clock, config, u, budget);
  return u;
}

async function shares(period: string) {
  return queryRows<{
    remote_actor_id: string;
    payer_id: string;
    amount: string;
    flattrs: number;
    like_ids: string[] | string;
    route: string;
    peer_host: string | null;
    state: string;
  }>(
    db,
    sql`select remote_actor_id::text, payer_id::text, amount::text, flattrs, like_ids, route,
               peer_host, state
        from remote_shares where period = ${period} order by payer_id, remote_actor_id`,
  );
}

const likeIdsOf = (v: string[] | string): string[] =>
  Array.isArray(v)
    ? v
    : v
        .replace(/^\{|\}$/g, "")
        .split(",")
        .filter(Boolean);

describe("routing shares at the close", () => {
  it("sends local shares to earnings, a peer's to clearing:<peer>, others to pledges", async () => {
    const clock = fixedClock("2027-05-10T12:00:00Z");
    const P = "2027-05";
    const owner = await makeUser(db);
    const { thing: page } = await registerThing(db, clock, config, owner, {
      url: `https://routes.example/${owner}`,
      title: "local page",
    });
    await markPeer(db, clock, config, "peer.example");
    await markPeer(db, clock, config, "masto.example", false);
    const bob = await remoteActor(db, clock, "peer.example", "bob");
    const mia = await remoteActor(db, clock, "masto.example", "mia"); // not a peer
    const zed = await remoteActor(db, clock, "unknown.example", "zed"); // never seen: unclaimed
    const bobNotes = [await remoteNote(db, clock, bob), await remoteNote(db, clock, bob)];
    const miaNote = await remoteNote(db, clock, mia);
    const zedProfile = await remoteNote(db, clock, zed, { kind: "profile", objectUri: zed.uri });

    const a = await payer(clock, 1000n, 500n);
    const made: Flattr[] = [];
    for (const t of [page, bobNotes[0]!, miaNote, bobNotes[1]!, zedProfile])
      made.push(await flattr(db, clock, config, a, t.id));
    const likeIds = await queryRows<{ id: string; like_id: string }>(
      db,
      sql`select id::text, like_id from flattrs where payer_id = ${a}::int8 order by id`,
    );
    const likeOf = new Map(likeIds.map((r) => [Number(r.id), r.like_id]));

    await closePeriod(db, fixedClock("2027-06-02T12:00:00Z"), config, P);

    // 500 budget, 10 % fee: 450 over 5 flattrs, 90 each.
    const split = allocate(
      450n,
      made.map((f) => idKey(f.id)),
    );
    const share = (i: number) => split.get(idKey(made[i]!.id))!;
    const postings = await queryRows<{ account: string; amount: string }>(
      db,
      sql`select p.account, p.amount::text from ledger_postings p
          join ledger_entries e on e.id = p.entry_id
          where e.idempotency_key = ${`close:${P}:${a}`} order by p.account`,
    );
    expect(new Map(postings.map((p) => [p.account, BigInt(p.amount)]))).toEqual(
      new Map([
        [walletAccount(a), -500n],
        [FEES, 50n],
        [earningsAccount(owner), share(0)],
        [clearingAccount("peer.example"), share(1) + share(3)],
        [PLEDGES, share(2) + share(4)],
      ]),
    );
    const rows = await shares(P);
    expect(
      rows
        .map((r) => ({ ...r, like_ids: likeIdsOf(r.like_ids) }))
        .sort((x, y) => x.remote_actor_id.localeCompare(y.remote_actor_id)),
    ).toEqual(
      [
        {
          remote_actor_id: String(bob.id),
          payer_id: String(a),
          amount: String(share(1) + share(3)),
          flattrs: 2,
          like_ids: [likeOf.get(made[1]!.id), likeOf.get(made[3]!.id)],
          route: "peer",
          peer_host: "peer.example",
          state: "open",
        },
        {
          remote_actor_id: String(mia.id),
          payer_id: String(a),
          amount: String(share(2)),
          flattrs: 1,
          like_ids: [likeOf.get(made[2]!.id)],
          route: "unclaimed",
          peer_host: null,
          state: "open",
        },
        {
          remote_actor_id: String(zed.id),
          payer_id: String(a),
          amount: String(share(4)),
          flattrs: 1,
          like_ids: [likeOf.get(made[4]!.id)],
          route: "unclaimed",
          peer_host: null,
          state: "open",
        },
      ].sort((x, y) => x.remote_actor_id.localeCompare(y.remote_actor_id)),
    );
    expect(await checkLedger(db)).toEqual([]);

    // A reversed close entry takes its shares out of clearing and pledges: still consistent.
    const [entry] = await queryRows<{ id: string }>(
      db,
      sql`select id::text from ledger_entries where idempotency_key = ${`close:${P}:${a}`}`,
    );
    await reverseEntry(db, Number(entry!.id), `reversal:test:${entry!.id}`);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("keeps the route frozen at the seal when a server stops being a peer mid-close", async () => {
    const clock = fixedClock("2027-07-10T12:00:00Z");
    const P = "2027-07";
    await markPeer(db, clock, config, "flaky.example");
    const cleo = await remoteActor(db, clock, "flaky.example", "cleo");
    const note = await remoteNote(db, clock, cleo);
    const payers = [await payer(clock), await payer(clock)];
    for (const p of payers) await flattr(db, clock, config, p, note.id);
    const before = await balanceOf(db, clearingAccount("flaky.example"), cur);

    const later = fixedClock("2027-08-02T12:00:00Z");
    let flipped = false;
    await closePeriod(db, later, config, P, {
      batchSize: 1,
      // Between the two batches, the server's NodeInfo stops announcing our protocol.
      onProgress: async () => {
        if (flipped) return;
        flipped = true;
        await markPeer(db, later, config, "flaky.example", false);
      },
    });
    expect(flipped).toBe(true);
    const rows = await shares(P);
    expect(rows.map((r) => [r.route, r.peer_host])).toEqual([
      ["peer", "flaky.example"],
      ["peer", "flaky.example"],
    ]);
    const after = await balanceOf(db, clearingAccount("flaky.example"), cur);
    expect(after - before).toBe(rows.reduce((s, r) => s + BigInt(r.amount), 0n));
    expect(await checkLedger(db)).toEqual([]);
    // The payer sees the frozen route, not today's peers table.
    const mine = await periodFlattrs(db, config, payers[0]!, P);
    expect(mine.flattrs.map((f) => f.creator)).toEqual([
      { kind: "peer", host: "flaky.example", frozen: true },
    ]);

    // The next period sees today's peers table: now unclaimed.
    const next = fixedClock("2027-08-10T12:00:00Z");
    await flattr(db, next, config, payers[0]!, note.id);
    expect((await periodFlattrs(db, config, payers[0]!, "2027-08")).flattrs[0]?.creator).toEqual({
      kind: "unclaimed",
      host: null,
      frozen: false,
    });
    await closePeriod(db, fixedClock("2027-09-02T12:00:00Z"), config, "2027-08");
    expect((await shares("2027-08")).map((r) => r.route)).toEqual(["unclaimed"]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("is caught by the ledger check when a record and its balance disagree", async () => {
    const [share] = await queryRows<{ period: string; remote_actor_id: string; payer_id: string }>(
      db,
      sql`select period, remote_actor_id::text, payer_id::text from remote_shares
          where route = 'peer' and state = 'open' limit 1`,
    );
    expect(share).toBeDefined();
    const where = sql`period = ${share!.period} and remote_actor_id = ${share!.remote_actor_id}::int8
                      and payer_id = ${share!.payer_id}::int8`;
    await db.execute(sql`update remote_shares set amount = amount + 1 where ${where}`);
    const violations = await checkLedger(db);
    expect(violations.map((v) => v.rule)).toEqual(["clearing_records"]);
    await db.execute(sql`update remote_shares set amount = amount - 1 where ${where}`);
    // Settled shares stay in clearing until transfers settle the position; a share marked
    // returned without its refund entry is a mismatch.
    await db.execute(sql`update remote_shares set state = 'settled' where ${where}`);
    expect(await checkLedger(db)).toEqual([]);
    await db.execute(sql`update remote_shares set state = 'returned' where ${where}`);
    expect((await checkLedger(db)).map((v) => v.rule)).toEqual(["clearing_records"]);
    await db.execute(sql`update remote_shares set state = 'open' where ${where}`);
    expect(await checkLedger(db)).toEqual([]);
  });
});
