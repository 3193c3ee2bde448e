import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger, DEPOSITS, FEES, walletAccount } from "../../src/ledger/index.ts";
import {
  FIRST_PERIOD,
  LAST_PERIOD,
  nextPeriod,
  periodBounds,
  periodOf,
  periodsEnding,
  previousPeriod,
} from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { earnings, earningsByMonth } from "../../src/settlement/earnings.ts";
import { myFlattrs } from "../../src/settlement/my-flattrs.ts";
import { statement } from "../../src/settlement/statement.ts";
import { formatStatementCsv, statementCsv } from "../../src/settlement/statement-csv.ts";
import { walletHistory } from "../../src/settlement/wallet-history.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const config: Config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  FEE_BP: "1000",
  FLATTR_RATE_LIMIT: "1000/1",
});

/** The period the database's clock is in: deposits are stamped by the database, not our clock. */
async function dbPeriod(): Promise<string> {
  const [row] = await queryRows<{ now: string | Date }>(db, sql`select now() as now`);
  return periodOf(new Date(row!.now), config.timeZone);
}

describe("read models", () => {
  it("values, earnings, wallet history and statement, projected then final, to the cent", async () => {
    // Deposits carry the database's time; put the flattrs in that same period.
    const P = await dbPeriod();
    const { start, end } = periodBounds(P, config.timeZone);
    const clock = fixedClock(new Date(start.getTime() + 3600_000));
    const c = await makeUser(db, `creator_${P.replace("-", "")}`);
    const d = await makeUser(db);
    const a = await makeUser(db);
    const b = await makeUser(db);
    const t1 = (
      await registerThing(db, clock, config, c, {
        url: "https://c.example/1",
        title: '=One, "quoted"',
      })
    ).thing;
    const t2 = (
      await registerThing(db, clock, config, c, { url: "https://c.example/2", title: "Two" })
    ).thing;
    const t3 = (
      await registerThing(db, clock, config, d, { url: "https://d.example/3", title: "Three" })
    ).thing;
    await deposit(db, config, a, 1000n);
    await deposit(db, config, b, 200n);
    await setBudget(db, clock, config, a, 500n);
    await setBudget(db, clock, config, b, 300n);
    for (const t of [t1, t2, t3]) await flattr(db, clock, config, a, t.id);
    await flattr(db, clock, config, b, t1.id);
    await flattr(db, clock, config, b, t3.id);
    await unflattr(db, clock, config, b, t3.id); // withdrawn: worth nothing

    // Open: A projects min(500, 1000) = 500, fee 50, 450 / 3 = 150 each; B 200 − 20 = 180.
    const mine = await myFlattrs(db, config, clock, a);
    expect(mine.period).toBe(P);
    expect(mine.status).toBe("open");
    expect(mine.final).toBe(false);
    expect([mine.amount, mine.fee]).toEqual([500n, 50n]);
    expect(mine.flattrs.map((f) => [f.thingId, f.value, f.owner.id])).toEqual([
      [t1.id, 150n, c],
      [t2.id, 150n, c],
      [t3.id, 150n, d],
    ]);
    const open = await earnings(db, config, c, P);
    expect(open).toMatchObject({
      status: "open",
      final: false,
      total: 480n,
      flattrs: 3,
      posted: 0n,
    });
    expect(open.things.map((t) => [t.thingId, t.flattrs, t.amount])).toEqual([
      [t1.id, 2, 330n],
      [t2.id, 1, 150n],
    ]);

    await closePeriod(db, fixedClock(new Date(end.getTime() + 1000)), config, P);

    const closed = await earnings(db, config, c, P);
    expect(closed).toMatchObject({
      status: "closed",
      final: true,
      total: 480n,
      flattrs: 3,
      posted: 480n,
    });
    expect((await earnings(db, config, d, P)).total).toBe(150n);
    const finalA = await myFlattrs(db, config, clock, a, P);
    expect(finalA.final).toBe(true);
    expect(finalA.flattrs.map((f) => f.value)).toEqual([150n, 150n, 150n]);

    const chart = await earningsByMonth(db, config, c, periodsEnding(nextPeriod(P), 3));
    expect(chart.months.map((m) => [m.period, m.total, m.flattrs, m.final])).toEqual([
      [periodsEnding(P, 2)[0], 0n, 0, false],
      [P, 480n, 3, true],
      [nextPeriod(P), 0n, 0, false],
    ]);

    const history = await walletHistory(db, config, a, { limit: 1 });
    expect(history.items.map((m) => [m.kind, m.amount, m.balance, m.period])).toEqual([
      ["close", -500n, 500n, P],
    ]);
    const older = await walletHistory(db, config, a, { limit: 5, before: history.nextBefore });
    expect(older.items.map((m) => [m.kind, m.amount, m.balance])).toEqual([
      ["deposit", 1000n, 1000n],
    ]);
    expect(older.nextBefore).toBeNull();

    // A budget change after the close does not rewrite the closed month's statement.
    await setBudget(db, clock, config, a, 900n);
    const s = await statement(db, config, a, P);
    expect(s.final).toBe(true);
    expect(s.payer).toMatchObject({
      budget: 500n,
      opening: 0n,
      closing: 500n,
      spent: 500n,
      fee: 50n,
      toCreators: 450n,
    });
    expect(s.payer.movements.map((m) => [m.kind, m.amount])).toEqual([
      ["deposit", 1000n],
      ["close", -500n],
    ]);
    // The next period opens where this one closed.
    const nextS = await statement(db, config, a, nextPeriod(P));
    expect([nextS.payer.opening, nextS.payer.closing, nextS.payer.spent]).toEqual([500n, 500n, 0n]);
    expect(nextS.payer.budget).toBe(900n); // open month: the budget as set now

    const csv = await statementCsv(db, config, a, P);
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe(
      "period,section,type,date,reference,thing_id,title,url,flattrs,amount,currency",
    );
    expect(csv.endsWith("\r\n")).toBe(true);
    expect(lines).toContain(`${P},payer,budget,,,,,,,5.00,EUR`);
    expect(lines).toContain(`${P},payer,spent,,,,,,3,5.00,EUR`);
    expect(lines).toContain(`${P},payer,fee,,,,,,,0.50,EUR`);
    expect(lines).toContain(`${P},payer,closing_balance,,,,,,,5.00,EUR`);
    expect(lines.find((l) => l.includes(`,${t1.id},`) && l.includes(",flattr,"))).toContain(
      `,${t1.id},"'=One, ""quoted""",https://c.example/1,1,1.50,EUR`,
    );
    const csvC = formatStatementCsv(await statement(db, config, c, P));
    expect(csvC).toContain(`${P},creator,total,,,,,,3,4.80,EUR\r\n`);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("a deposit after a month ended but before its close belongs to that month's statement", async () => {
    // The flattr is in the month before the database's; the deposit, stamped now, comes after
    // that month ended and funds its close.
    const Q = await dbPeriod();
    const P = previousPeriod(Q);
    const { start, end } = periodBounds(P, config.timeZone);
    const inP = fixedClock(new Date(start.getTime() + 3600_000));
    const creator = await makeUser(db);
    const payer = await makeUser(db);
    const thing = (
      await registerThing(db, inP, config, creator, { url: "https://late.example/", title: "Late" })
    ).thing;
    await setBudget(db, inP, config, payer, 300n);
    await flattr(db, inP, config, payer, thing.id);
    await deposit(db, config, payer, 1000n);
    await closePeriod(db, fixedClock(new Date(end.getTime() + 1000)), config, P);

    const s = await statement(db, config, payer, P);
    expect(s.payer.movements.map((m) => [m.kind, m.amount])).toEqual([
      ["deposit", 1000n],
      ["close", -300n],
    ]);
    expect([s.payer.opening, s.payer.closing]).toEqual([0n, 700n]);
    const next = await statement(db, config, payer, Q);
    expect([next.payer.opening, next.payer.movements.length, next.payer.closing]).toEqual([
      700n,
      0,
      700n,
    ]);
    // A deposit after the close is the new month's again.
    await deposit(db, config, payer, 50n);
    const after = await statement(db, config, payer, Q);
    expect(after.payer.movements.map((m) => [m.kind, m.amount])).toEqual([["deposit", 50n]]);
    expect((await statement(db, config, payer, P)).payer.closing).toBe(700n);
  });

  it("a payer who could pay nothing gets final zero values; bad periods are refused", async () => {
    const P = "2025-06";
    const clock = fixedClock("2025-06-10T12:00:00Z");
    const c = await makeUser(db);
    const a = await makeUser(db);
    const t = (await registerThing(db, clock, config, c, { url: "https://z.example/", title: "Z" }))
      .thing;
    await setBudget(db, clock, config, a, 500n);
    await flattr(db, clock, config, a, t.id);
    await closePeriod(db, fixedClock("2025-07-02T00:00:00Z"), config, P);
    expect((await earnings(db, config, c, P)).total).toBe(0n);
    expect((await earnings(db, config, c, P)).flattrs).toBe(1);
    const s = await statement(db, config, a, P);
    expect([s.final, s.payer.spent, s.payer.fee, s.payer.flattrs[0]?.value]).toEqual([
      true,
      0n,
      0n,
      0n,
    ]);
    await expect(earnings(db, config, c, "2025-13")).rejects.toThrow(RangeError);
    await expect(statement(db, config, c, "x")).rejects.toThrow(RangeError);
    expect((await earningsByMonth(db, config, c, [])).months).toEqual([]);
    expect(periodsEnding("2026-02", 3)).toEqual(["2025-12", "2026-01", "2026-02"]);
  });

  it("puts deposits in months by the instance time zone, the first and last months too", async () => {
    // Entries with chosen times (deposits are otherwise stamped by the database's clock).
    const tz = "America/New_York";
    const ny = testConfig({ TIME_ZONE: tz });
    const u = await makeUser(db);
    let n = 0;
    const post = async (kind: string, period: string | null, at: Date, amount: bigint) => {
      const key = kind === "close" ? `close:${period}:${u}` : `test-deposit:${u}:${++n}`;
      await db.execute(sql`with e as (
          insert into ledger_entries (idempotency_key, kind, period, payload_hash, created_at)
          values (${key}, ${kind}, ${period}, 'test', ${at.toISOString()}::timestamptz) returning id)
        insert into ledger_postings (entry_id, account, currency, amount)
        select e.id, v.account, ${ny.currency}, v.amount from e,
          (values (${kind === "close" ? FEES : DEPOSITS}::text, ${(-amount).toString()}::int8),
                  (${walletAccount(u)}::text, ${amount.toString()}::int8)) v(account, amount)`);
    };
    const march = periodBounds("2026-03", tz).start; // 2026-03-01T05:00Z
    const minute = 60_000;
    await post("deposit", null, new Date(march.getTime() - minute), 100n); // 04:59Z: February in New York
    await post("deposit", null, new Date(march.getTime() + minute), 20n); // March...
    await post("close", "2026-02", new Date(march.getTime() + 2 * minute), -5n); // ...before Feb's close: February
    await post("deposit", null, new Date(march.getTime() + 3 * minute), 3n); // after it: March
    const moves = async (p: string) =>
      (await statement(db, ny, u, p)).payer.movements.map((m) => [m.kind, m.amount]);
    expect(await moves("2026-02")).toEqual([
      ["deposit", 100n],
      ["deposit", 20n],
      ["close", -5n],
    ]);
    expect(await moves("2026-03")).toEqual([["deposit", 3n]]);
    expect((await statement(db, ny, u, "2026-03")).payer.opening).toBe(115n);
    // The first and last months a period can name have statements too (nothing before or after).
    expect((await statement(db, ny, u, FIRST_PERIOD)).payer.movements).toEqual([]);
    expect((await statement(db, ny, u, LAST_PERIOD)).payer.opening).toBe(118n);
    expect(await checkLedger(db)).toEqual([]);
  });
});
