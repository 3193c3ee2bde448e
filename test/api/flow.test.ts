// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { periodBounds, periodOf } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { expectDocumented, makeApp, tokenFor, usernameOf } from "./support.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({
  ORIGIN: "https://flattr.example",
  TIME_ZONE: "Europe/Berlin",
  FEE_BP: "1000",
  MIN_BUDGET: "1.00",
});

describe("REST API: the whole month", () => {
  it("token → budget → thing → flattrs → close → final values, earnings, statement", async () => {
    const db = database.db;
    // Deposits are stamped by the database's clock; the month under test is that one.
    const [now] = await queryRows<{ now: string | Date }>(db, sql`select now() as now`);
    const P = periodOf(new Date(now!.now), config.timeZone);
    const { start, end } = periodBounds(P, config.timeZone);
    const clock = fixedClock(new Date(start.getTime() + 3600_000));
    const { as } = makeApp(database, config, clock);

    const alice = await makeUser(db); // creator
    const bob = await makeUser(db); // payer
    const carol = await makeUser(db); // payer with less money than budget
    const A = as(await tokenFor(db, clock, alice));
    const B = as(await tokenFor(db, clock, bob));
    const C = as(await tokenFor(db, clock, carol));
    await deposit(db, config, bob, 1000n);
    await deposit(db, config, carol, 100n);

    const me = await expectDocumented(config, await B.get("/me"), "GET", "/me");
    expect(me).toMatchObject({
      id: bob,
      username: await usernameOf(db, bob),
      currency: "EUR",
      wallet_balance: "10.00",
      budget: null,
      period: P,
      fee_bp: 1000,
      min_budget: "1.00",
    });

    let res = await B.put("/me/budget", { amount: "5.00" });
    expect(res.status).toBe(200);
    expect(await expectDocumented(config, res, "PUT", "/me/budget")).toMatchObject({
      budget: "5.00",
      currency: "EUR",
      wallet_balance: "10.00",
      above_balance: false,
      warning: null,
    });
    res = await C.put("/me/budget", { amount: "3" });
    const warned = await expectDocumented(config, res, "PUT", "/me/budget");
    expect(warned).toMatchObject({ budget: "3.00", wallet_balance: "1.00", above_balance: true });
    expect(warned.warning).toContain("above your wallet balance");

    res = await A.post("/things", { url: "https://alice.example/post#top", title: "A post" });
    expect(res.status).toBe(201);
    const t1 = await expectDocumented(config, res, "POST", "/things");
    expect(res.headers.get("location")).toBe(
      `https://flattr.example/api/flattr/v1/things/${t1.id}`,
    );
    expect(t1).toMatchObject({ kind: "page", title: "A post", created: true, flattrs_all_time: 0 });
    // The same URL again: the existing thing, 200, unchanged.
    res = await A.post("/things", { url: "https://alice.example/post", title: "Other title" });
    expect(res.status).toBe(200);
    expect(res.headers.get("location")).toBe(
      `https://flattr.example/api/flattr/v1/things/${t1.id}`,
    );
    expect(await expectDocumented(config, res, "POST", "/things")).toMatchObject({
      id: t1.id,
      title: "A post",
      created: false,
    });
    res = await A.post("/things", {
      url: "https://alice.example/2",
      title: "Second",
      description: "more",
    });
    const t2 = await expectDocumented(config, res, "POST", "/things");

    for (const [client, thing] of [
      [B, t1],
      [B, t2],
      [C, t1],
    ] as const) {
      res = await client.post(`/things/${thing.id}/flattr`);
      expect(res.status).toBe(201);
      expect(await expectDocumented(config, res, "POST", "/things/{id}/flattr")).toMatchObject({
        thing_id: thing.id,
        period: P,
      });
    }
    // Withdraw and flattr again: still one flattr.
    res = await C.delete(`/things/${t1.id}/flattr`);
    expect(await expectDocumented(config, res, "DELETE", "/things/{id}/flattr")).toMatchObject({
      thing_id: t1.id,
      withdrawn: true,
    });
    expect((await C.post(`/things/${t1.id}/flattr`)).status).toBe(201);

    const thing = await expectDocumented(
      config,
      await B.get(`/things/${t1.id}`),
      "GET",
      "/things/{id}",
    );
    expect(thing).toMatchObject({ flattrs_this_period: 2, flattrs_all_time: 2, period: P });
    expect(thing.owner.username).toBe(await usernameOf(db, alice));

    // Open: bob 5.00 − 0.50 fee = 4.50 over 2; carol min(3.00, 1.00) − 0.10 = 0.90.
    const open = await expectDocumented(config, await B.get("/me/flattrs"), "GET", "/me/flattrs");
    expect(open).toMatchObject({
      period: P,
      status: "open",
      final: false,
      amount: "5.00",
      fee: "0.50",
    });
    expect(open.flattrs.map((f: any) => [f.thing.id, f.value])).toEqual([
      [t1.id, "2.25"],
      [t2.id, "2.25"],
    ]);
    const projected = await expectDocumented(
      config,
      await A.get(`/me/earnings?period=${P}`),
      "GET",
      "/me/earnings",
    );
    expect(projected).toMatchObject({
      status: "open",
      final: false,
      total: "5.40",
      flattrs: 3,
      posted: "0.00",
    });
    expect(projected.things.map((t: any) => [t.thing.id, t.flattrs, t.amount])).toEqual([
      [t1.id, 2, "3.15"],
      [t2.id, 1, "2.25"],
    ]);

    await closePeriod(db, fixedClock(new Date(end.getTime() + 1000)), config, P);

    const final = await expectDocumented(
      config,
      await B.get(`/me/flattrs?period=${P}`),
      "GET",
      "/me/flattrs",
    );
    expect(final).toMatchObject({ status: "closed", final: true, amount: "5.00", fee: "0.50" });
    expect(final.flattrs.map((f: any) => f.value)).toEqual(["2.25", "2.25"]);
    const carolFinal = await expectDocumented(
      config,
      await C.get(`/me/flattrs?period=${P}`),
      "GET",
      "/me/flattrs",
    );
    expect([carolFinal.amount, carolFinal.fee, carolFinal.flattrs[0].value]).toEqual([
      "1.00",
      "0.10",
      "0.90",
    ]);
    const earned = await expectDocumented(
      config,
      await A.get(`/me/earnings?period=${P}`),
      "GET",
      "/me/earnings",
    );
    expect(earned).toMatchObject({
      status: "closed",
      final: true,
      total: "5.40",
      flattrs: 3,
      posted: "5.40",
    });
    expect(earned.things.map((t: any) => t.amount)).toEqual(["3.15", "2.25"]);
    expect((await expectDocumented(config, await B.get("/me"), "GET", "/me")).wallet_balance).toBe(
      "5.00",
    );
    expect((await expectDocumented(config, await C.get("/me"), "GET", "/me")).wallet_balance).toBe(
      "0.00",
    );

    // The app's clock is still inside P, now closed: flattrs for it are refused.
    res = await B.delete(`/things/${t1.id}/flattr`);
    expect(res.status).toBe(422);
    expect((await expectDocumented(config, res, "DELETE", "/things/{id}/flattr")).code).toBe(
      "period_closed",
    );

    const st = await expectDocumented(
      config,
      await B.get(`/me/statement?period=${P}`),
      "GET",
      "/me/statement",
    );
    expect(st).toMatchObject({ period: P, status: "closed", final: true, currency: "EUR" });
    expect(st.payer).toMatchObject({
      budget: "5.00",
      opening_balance: "0.00",
      closing_balance: "5.00",
      spent: "5.00",
      fee: "0.50",
      to_creators: "4.50",
    });
    expect(st.payer.movements.map((m: any) => [m.kind, m.amount])).toEqual([
      ["deposit", "10.00"],
      ["close", "-5.00"],
    ]);
    expect(st.creator).toMatchObject({ total: "0.00", flattrs: 0, things: [] });
    const creatorSt = await expectDocumented(
      config,
      await A.get(`/me/statement?period=${P}`),
      "GET",
      "/me/statement",
    );
    expect(creatorSt.creator).toMatchObject({ total: "5.40", posted: "5.40", flattrs: 3 });
    expect(creatorSt.payer).toMatchObject({ spent: "0.00", budget: null, flattrs: [] });

    // CSV, by Accept and by ?format=csv: the same bytes.
    const csvRes = await B.get(`/me/statement?period=${P}`, { accept: "text/csv" });
    expect(csvRes.status).toBe(200);
    expect(csvRes.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(csvRes.headers.get("content-disposition")).toBe(
      `attachment; filename="fediflattr-statement-${await usernameOf(db, bob)}-${P}.csv"`,
    );
    const csv = await csvRes.text();
    expect(await (await B.get(`/me/statement?period=${P}&format=csv`)).text()).toBe(csv);
    const [dep, close] = st.payer.movements;
    const [f1, f2] = st.payer.flattrs;
    expect(csv).toBe(
      [
        "period,section,type,date,reference,thing_id,title,url,flattrs,amount,currency",
        `${P},summary,status,,closed,,,,,,EUR`,
        `${P},payer,budget,,,,,,,5.00,EUR`,
        `${P},payer,opening_balance,,,,,,,0.00,EUR`,
        `${P},payer,deposit,${dep.created_at},entry ${dep.entry_id},,,,,10.00,EUR`,
        `${P},payer,close,${close.created_at},entry ${close.entry_id},,,,,-5.00,EUR`,
        `${P},payer,closing_balance,,,,,,,5.00,EUR`,
        `${P},payer,spent,,,,,,2,5.00,EUR`,
        `${P},payer,fee,,,,,,,0.50,EUR`,
        `${P},payer,flattr,${f1.created_at},${f1.thing.owner.username},${t1.id},A post,https://alice.example/post#top,1,2.25,EUR`,
        `${P},payer,flattr,${f2.created_at},${f2.thing.owner.username},${t2.id},Second,https://alice.example/2,1,2.25,EUR`,
        `${P},creator,total,,,,,,0,0.00,EUR`,
        "",
      ].join("\r\n"),
    );
    // JSON when asked for JSON, whatever Accept says.
    const asJson = await B.get(`/me/statement?period=${P}&format=json`, { accept: "text/csv" });
    expect(asJson.headers.get("content-type")).toMatch(/^application\/json/);

    expect(await checkLedger(db)).toEqual([]);
  });
});
