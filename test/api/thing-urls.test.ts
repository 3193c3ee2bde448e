// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
// A thing's URL with a NUL or another control character is refused with a 4xx and a message by
// every way in (REST API, the registration form, an auto-submit link), writing nothing; URLs in
// API answers are the canonical URI, also for things stored as typed before that rule.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";
import { csrfTokenOf } from "../helpers/web-client.ts";
import { expectDocumented, makeApp, tokenFor, usernameOf } from "./support.ts";

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

// http: the page client logs in with the plain cookie name (https would need the __Host- one).
const config = testConfig({ ORIGIN: "http://flattr.example", TIME_ZONE: "UTC" });
const clock = fixedClock("2026-08-12T10:00:00Z");

async function thingCount(): Promise<number> {
  const [r] = await queryRows<{ n: string }>(db, sql`select count(*)::text as n from things`);
  return Number(r!.n);
}

const BAD_URLS: [string, string][] = [
  ["https://a.example/x\u0000y", "U+0000"],
  ["https://a.example/\u0000", "NUL"],
  ["https://a.example/x\ny", "U+000A"],
  ["https://a.example/x\ty", "U+0009"],
  ["https://a.example/x\u001by", "U+001B"],
  ["https://a.example/x\u007fy", "U+007F"],
  ["https://a.example/x\u009by", "U+009B"],
];

describe("control characters in a thing's URL", () => {
  it("the REST API answers 422 invalid_url with the reason, and writes nothing", async () => {
    const { as } = makeApp(database, config, clock);
    const owner = await makeUser(db);
    const O = as(await tokenFor(db, clock, owner));
    const before = await thingCount();
    for (const [url, reason] of BAD_URLS) {
      const res = await O.post("/things", { url, title: "T" });
      expect(res.status, JSON.stringify(url)).toBe(422);
      const body = await expectDocumented(config, res, "POST", "/things");
      expect(body.code).toBe("invalid_url");
      expect(body.error, JSON.stringify(url)).toContain(reason);
    }
    expect(await thingCount()).toBe(before);
  });

  it("the registration form answers 422 with the form and the reason, and writes nothing", async () => {
    const m = moneyApp(config, database, clock);
    const c = await m.as(await makeUser(db));
    const before = await thingCount();
    for (const [url, reason] of BAD_URLS) {
      const res = await c.submit("/things/new", "/things", { url, title: "T", description: "" });
      expect(res.status, JSON.stringify(url)).toBe(422);
      const html = await res.text();
      expect(textOf(html), JSON.stringify(url)).toContain(reason);
      expect(html).toContain('name="url"');
    }
    expect(await thingCount()).toBe(before);
  });

  it("an auto-submit link answers 400 on GET and POST and on the widget, and writes nothing", async () => {
    const m = moneyApp(config, database, clock);
    const owner = await makeUser(db);
    const name = await usernameOf(db, owner);
    const c = await m.as(await makeUser(db));
    const token = csrfTokenOf(await (await c.get("/settings")).text());
    const before = await thingCount();
    for (const [url, reason] of BAD_URLS) {
      const params = { user: name, url, title: "T" };
      const q = new URLSearchParams(params);
      for (const path of ["/submit", "/button/submit"]) {
        const res = await c.get(`${path}?${q}`);
        expect(res.status, `${path} ${JSON.stringify(url)}`).toBe(400);
        expect(await res.text()).toContain(reason);
      }
      const post = await c.post("/submit", { _csrf: token, ...params });
      expect(post.status, `POST ${JSON.stringify(url)}`).toBe(400);
      expect(textOf(await post.text())).toContain(reason);
    }
    expect(await thingCount()).toBe(before);
  });
});

describe("thing URLs in API answers", () => {
  it("are the canonical URI, not the URL as typed, also for things stored before", async () => {
    const { as } = makeApp(database, config, clock);
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    await deposit(db, config, payer, 1000n);
    await setBudget(db, clock, config, payer, 500n);
    const O = as(await tokenFor(db, clock, owner));
    const P = as(await tokenFor(db, clock, payer));

    const typed = 'HTTPS://Blog.EXAMPLE:443/a b/"q"/ü?x=<1>#frag';
    const canonical = "https://blog.example/a%20b/%22q%22/%C3%BC?x=%3C1%3E";
    const created = await O.post("/things", { url: typed, title: "Typed" });
    expect(created.status).toBe(201);
    const body = await expectDocumented(config, created, "POST", "/things");
    expect(body.url).toBe(canonical);
    expect((await (await O.get(`/things/${body.id}`)).json()).url).toBe(canonical);
    // The page still shows the URL as its owner typed it.
    const page = await moneyApp(config, database, clock).visitor().get(`/things/${body.id}`);
    expect(await page.text()).toContain("/a b/");

    // A thing stored before control characters were refused: a line break in its URL.
    const [legacy] = await queryRows<{ id: string }>(
      db,
      sql`insert into things (owner_id, kind, url, url_normalized, title, created_at)
          values (${owner}, 'page', ${'https://old.example/a\nb"c'}, 'https://old.example/ab%22c',
                  'Old', now()) returning id::text`,
    );
    const legacyId = Number(legacy!.id);
    const old = await O.get(`/things/${legacyId}`);
    expect((await expectDocumented(config, old, "GET", "/things/{id}")).url).toBe(
      "https://old.example/ab%22c",
    );

    for (const id of [body.id, legacyId])
      expect((await P.post(`/things/${id}/flattr`)).status).toBe(201);
    const mine = await expectDocumented(config, await P.get("/me/flattrs"), "GET", "/me/flattrs");
    expect(mine.flattrs.map((f: any) => f.thing.url).sort()).toEqual(
      [canonical, "https://old.example/ab%22c"].sort(),
    );
    const earned = await expectDocumented(
      config,
      await O.get("/me/earnings"),
      "GET",
      "/me/earnings",
    );
    expect(earned.things.map((t: any) => t.thing.url).sort()).toEqual(
      [canonical, "https://old.example/ab%22c"].sort(),
    );
    const statement = await expectDocumented(
      config,
      await P.get("/me/statement"),
      "GET",
      "/me/statement",
    );
    expect(statement.payer.flattrs.map((f: any) => f.thing.url).sort()).toEqual(
      [canonical, "https://old.example/ab%22c"].sort(),
    );
  });
});
