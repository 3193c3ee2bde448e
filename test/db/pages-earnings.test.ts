import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { nextPeriod, periodBounds, periodOf } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ TIME_ZONE: "Europe/Berlin", FEE_BP: "1000" });

describe("earnings and statements", () => {
  it("per month and per thing with a chart, projected then final; statement page and CSV", async () => {
    // Deposits carry the database's time: put the flattrs in that same period.
    const [row] = await queryRows<{ now: string | Date }>(database.db, sql`select now() as now`);
    const P = periodOf(new Date(row!.now), config.timeZone);
    const { start, end } = periodBounds(P, config.timeZone);
    const clock = fixedClock(new Date(start.getTime() + 3600_000));
    const m = moneyApp(config, database, clock);
    const creator = await m.user("earner");
    const other = await m.user();
    const a = await m.user("payer_a");
    const b = await m.user();
    const reg = async (owner: number, url: string, title: string) =>
      (await registerThing(database.db, clock, config, owner, { url, title })).thing;
    const t1 = await reg(creator, "https://earner.example/1", '=Formula, "quoted"');
    const t2 = await reg(creator, "https://earner.example/2", "Second");
    const t3 = await reg(other, "https://other.example/3", "Third");
    await deposit(database.db, config, a, 1000n, `pages-earnings-a-${P}`);
    await deposit(database.db, config, b, 200n, `pages-earnings-b-${P}`);
    await setBudget(database.db, clock, config, a, 500n);
    await setBudget(database.db, clock, config, b, 300n);
    for (const t of [t1, t2, t3]) await flattr(database.db, clock, config, a, t.id);
    await flattr(database.db, clock, config, b, t1.id);
    // a: 5.00 − 0.50 fee = 4.50 / 3 = 1.50 each; b: min(3.00, 2.00) − 0.20 = 1.80 to t1.
    let c = await m.as(creator);

    const open = await c.get("/earnings");
    expect(open.status).toBe(200);
    const html = await open.text();
    expect(html).toContain("<svg");
    expect(html.match(/<g data-label=/g)).toHaveLength(12);
    expect(html).toContain("projected</title>");
    const text = textOf(html);
    expect(text).toContain("€4.80 from 3 flattrs (projected)");
    expect(text).toContain('Formula, "quoted" 2 €3.30');
    expect(text).toContain("Second 1 €1.50");

    clock.set(new Date(end.getTime() + 3600_000));
    await closePeriod(database.db, clock, config, P);
    expect(await checkLedger(database.db)).toEqual([]);
    c = await m.as(creator); // a month later: the first session has expired

    const final = textOf(await (await c.get(`/earnings?period=${P}`)).text());
    expect(final).toContain("€4.80 from 3 flattrs (final)");
    const next = await (await c.get("/earnings")).text();
    expect(textOf(next)).toContain("None of your things was flattred");
    expect(next).toContain(`href="/statements/${P}.csv"`);
    expect(next).toContain(`href="/statements/${P}"`);

    const page = await c.get(`/statements/${P}`);
    expect(page.status).toBe(200);
    const statement = textOf(await page.text());
    expect(statement).toContain("Final: the month is closed.");
    expect(statement).toContain("Total 3 €4.80");

    const csv = await c.get(`/statements/${P}.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(
      `attachment; filename="fediflattr-earner-${P}.csv"`,
    );
    const lines = (await csv.text()).split("\r\n");
    expect(lines[0]).toBe(
      "period,section,type,date,reference,thing_id,title,url,flattrs,amount,currency",
    );
    expect(lines).toContain(
      `${P},creator,thing,,,${t1.id},"'=Formula, ""quoted""",https://earner.example/1,2,3.30,EUR`,
    );
    expect(lines).toContain(`${P},creator,total,,,,,,3,4.80,EUR`);

    // The payer's statement: the deposit, the close, each flattr's final value.
    const pa = await m.as(a);
    const payerPage = textOf(await (await pa.get(`/statements/${P}`)).text());
    expect(payerPage).toContain("Opening balance €0.00");
    expect(payerPage).toContain("€10.00");
    expect(payerPage).toContain(`Flattrs of`);
    expect(payerPage).toContain("-€5.00");
    expect(payerPage).toContain("Closing balance €5.00");
    expect(payerPage).toContain("Instance fee €0.50");
    const payerCsv = (await (await pa.get(`/statements/${P}.csv`)).text()).split("\r\n");
    expect(
      payerCsv.filter((l) => l.includes(",payer,flattr,")).map((l) => l.split(",").at(-2)),
    ).toEqual(["1.50", "1.50", "1.50"]);
    expect(payerCsv).toContain(`${P},payer,spent,,,,,,3,5.00,EUR`);

    // Statements of the next period exist (empty); the one after has not started.
    expect((await c.get(`/statements/${nextPeriod(P)}`)).status).toBe(200);
    const future = await c.get(`/statements/${nextPeriod(nextPeriod(P))}.csv`);
    expect(future.status).toBe(400);
  });

  it("bad periods and file names answer 400 pages; visitors are sent to log in", async () => {
    const clock = fixedClock("2026-03-15T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const c = await m.as(await m.user());
    for (const path of [
      "/earnings?period=abc",
      "/earnings?period=2026-13",
      "/earnings?period=2026-04",
      "/statements/abc",
      "/statements/2026-13",
      "/statements/2026-00.csv",
      "/statements/2026-03.pdf",
      "/statements/2026-3.csv",
      "/statements/0000-01",
      "/statements/2027-01",
    ]) {
      const res = await c.get(path);
      expect(res.status, path).toBe(400);
      expect(res.headers.get("content-type"), path).toMatch(/text\/html/);
      expect(await res.text()).toMatch(/is not a month|has not started yet/);
    }
    const visitor = m.visitor();
    for (const path of ["/earnings", "/statements/2026-02", "/statements/2026-02.csv"]) {
      expect((await visitor.get(path)).status, path).toBe(303);
    }
    const empty = await c.get("/statements/2026-02.csv");
    expect(empty.status).toBe(200);
    expect(await empty.text()).toContain("2026-02,creator,total,,,,,,0,0.00,EUR");
  });
});
