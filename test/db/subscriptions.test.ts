import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import {
  cancelSubscription,
  mySubscriptions,
  runDueSubscriptions,
  subscribe,
} from "../../src/flattr/subscriptions.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { remoteActor, remoteNote } from "../helpers/remote.ts";

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

// One flattr a minute: a subscription's month must not be refused by it.
const config = testConfig({ TIME_ZONE: "Europe/Berlin", FLATTR_RATE_LIMIT: "1/60" });

async function flattrsOf(payer: number, thing: number) {
  return queryRows<{ period: string }>(
    db,
    sql`select period from flattrs where payer_id = ${payer} and thing_id = ${thing}
        and withdrawn_at is null order by period`,
  );
}

async function setup(at: string) {
  const clock = fixedClock(at);
  const creator = await makeUser(db);
  const payer = await makeUser(db);
  const t = await registerThing(db, clock, config, creator, {
    url: `https://s${creator}.example/`,
    title: "Monthly",
  });
  await deposit(db, config, payer, 10000n);
  await setBudget(db, clock, config, payer, 500n);
  return { creator, payer, thing: t.thing.id };
}

describe("subscriptions", () => {
  it("flattr a thing once a month for 3 months, exactly once per month, beside the rate limit", async () => {
    const { payer, thing } = await setup("2027-01-10T10:00:00Z");
    const other = await registerThing(
      db,
      fixedClock("2027-01-10T10:00:00Z"),
      config,
      await makeUser(db),
      {
        url: "https://other.example/",
        title: "Other",
      },
    );
    // The payer used up the per-minute limit a moment ago.
    await flattr(db, fixedClock("2027-01-10T10:00:00Z"), config, payer, other.thing.id);
    const s = await subscribe(db, fixedClock("2027-01-10T10:00:20Z"), config, payer, thing, 3);
    if (!s.ok) throw s.error;
    expect(s.value).toMatchObject({ months: 3, firstPeriod: "2027-01", lastPeriod: "2027-03" });
    expect(s.value.runs.map((r) => [r.period, r.outcome])).toEqual([["2027-01", "flattred"]]);
    const twice = await subscribe(db, fixedClock("2027-01-11T10:00:00Z"), config, payer, thing, 6);
    expect(!twice.ok && twice.error.code).toBe("already_subscribed");

    // The worker later in January: nothing more to do.
    expect(await runDueSubscriptions(db, fixedClock("2027-01-20T10:00:00Z"), config)).toEqual({
      ran: 0,
      flattred: 0,
    });
    await closePeriod(db, fixedClock("2027-02-01T10:00:00Z"), config, "2027-01");
    // February: two workers at once, and one late rerun; one flattr.
    const feb = fixedClock("2027-01-31T23:00:30Z"); // 00:00:30 in Berlin
    const results = await Promise.all([
      runDueSubscriptions(db, feb, config),
      runDueSubscriptions(db, feb, config),
    ]);
    expect(results.reduce((n, r) => n + r.flattred, 0)).toBeGreaterThanOrEqual(1);
    await runDueSubscriptions(db, fixedClock("2027-02-14T10:00:00Z"), config);
    expect((await flattrsOf(payer, thing)).map((r) => r.period)).toEqual(["2027-01", "2027-02"]);

    // March: no budget any more (the wallet is there, the budget was removed): the month counts.
    await db.execute(sql`delete from budgets where user_id = ${payer}`);
    await runDueSubscriptions(db, fixedClock("2027-03-02T10:00:00Z"), config);
    // April: the subscription is over.
    await runDueSubscriptions(db, fixedClock("2027-04-02T10:00:00Z"), config);
    const [sub] = await mySubscriptions(db, payer);
    expect(sub?.runs.map((r) => [r.period, r.outcome])).toEqual([
      ["2027-01", "flattred"],
      ["2027-02", "flattred"],
      ["2027-03", "no_budget"],
    ]);
    expect(sub?.runs[2]?.message).toContain("Set a monthly budget");
    expect((await flattrsOf(payer, thing)).map((r) => r.period)).toEqual(["2027-01", "2027-02"]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("refuses bad lengths and own things; a cancelled subscription stops; a month flattred by hand counts", async () => {
    const { creator, payer, thing } = await setup("2027-05-10T10:00:00Z");
    const may = fixedClock("2027-05-10T10:00:00Z");
    const bad = await subscribe(db, may, config, payer, thing, 4);
    expect(!bad.ok && bad.error.code).toBe("invalid_months");
    const own = await subscribe(db, may, config, creator, thing, 3);
    expect(!own.ok && own.error.code).toBe("own_thing");
    const none = await subscribe(db, may, config, payer, 999999999, 3);
    expect(!none.ok && none.error.code).toBe("thing_not_found");
    const notYet = await cancelSubscription(db, may, config, payer, thing);
    expect(!notYet.ok && notYet.error.code).toBe("not_subscribed");

    await flattr(db, may, config, payer, thing);
    const s = await subscribe(db, fixedClock("2027-05-10T10:05:00Z"), config, payer, thing, 6);
    if (!s.ok) throw s.error;
    expect(s.value.runs.map((r) => r.outcome)).toEqual(["already_flattred"]);
    await runDueSubscriptions(db, fixedClock("2027-06-01T10:00:00Z"), config);
    const c = await cancelSubscription(
      db,
      fixedClock("2027-06-05T10:00:00Z"),
      config,
      payer,
      thing,
    );
    expect(c.ok && c.value.cancelledAt).toBeTruthy();
    await runDueSubscriptions(db, fixedClock("2027-07-01T10:00:00Z"), config);
    expect((await flattrsOf(payer, thing)).map((r) => r.period)).toEqual(["2027-05", "2027-06"]);
    // Once cancelled, a new subscription may be made.
    const again = await subscribe(db, fixedClock("2027-07-02T10:00:00Z"), config, payer, thing, 3);
    expect(again.ok && again.value.runs.map((r) => r.outcome)).toEqual(["flattred"]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("a remote thing's month is a flattr with its Like queued in the outbox", async () => {
    const { payer } = await setup("2027-09-10T10:00:00Z");
    const at = fixedClock("2027-09-10T10:00:00Z");
    const bob = await remoteActor(db, at, "b.example", "bob");
    const note = await remoteNote(db, at, bob);
    const s = await subscribe(db, at, config, payer, note.id, 3);
    expect(s.ok && s.value.runs.map((r) => r.outcome)).toEqual(["flattred"]);
    await runDueSubscriptions(db, fixedClock("2027-10-01T10:00:00Z"), config);
    const likes = await queryRows<{ period: string; kind: string }>(
      db,
      sql`select f.period, e.kind from outbox_events e join flattrs f on f.id = e.flattr_id
          where f.payer_id = ${payer} and f.thing_id = ${note.id} order by f.period`,
    );
    expect(likes).toEqual([
      { period: "2027-09", kind: "like" },
      { period: "2027-10", kind: "like" },
    ]);
    expect(await checkLedger(db)).toEqual([]);
  });
});
