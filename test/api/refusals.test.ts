// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../src/accounts/sessions.ts";
import { listTokens, revokeToken } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import type { Database, Db } from "../../src/db/client.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { cookieNames } from "../../src/web/session.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { BASE, expectDocumented, makeApp, tokenFor } from "./support.ts";

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const base = testConfig({ ORIGIN: "https://flattr.example", TIME_ZONE: "Europe/Berlin" });

/** An error answer: JSON `{error, code}` with the given status, as documented. */
async function expectError(
  config: Config,
  res: Response,
  status: number,
  code: string,
  doc?: [string, string],
) {
  expect(res.status, `${status} ${code}`).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = doc ? await expectDocumented(config, res, doc[0], doc[1]) : await res.json();
  expect(body).toMatchObject({ error: expect.any(String), code });
  expect(body.error.length).toBeGreaterThan(5);
  return body;
}

describe("authentication and scopes", () => {
  it("401 without a token, with a bogus, a revoked or a cookie-only login; 403 without the scope", async () => {
    const clock = fixedClock("2026-05-10T10:00:00Z");
    const { as, app } = makeApp(database, base, clock);
    const u = await makeUser(db);

    let res = await as(null).get("/me");
    await expectError(base, res, 401, "unauthorized", ["GET", "/me"]);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="fediflattr"');

    for (const bogus of ["nope", `ffpat_${"A".repeat(43)}`, "ffpat_short"]) {
      res = await as(bogus).get("/me");
      await expectError(base, res, 401, "invalid_token");
      expect(res.headers.get("www-authenticate")).toBe(
        'Bearer realm="fediflattr", error="invalid_token"',
      );
    }

    // A browser session does not authenticate the API (any origin may call it).
    const { token: session } = await createSession(db, clock, u);
    res = await app.fetch(
      new Request(`https://flattr.example${BASE}/me`, {
        headers: { cookie: `${cookieNames(base).session}=${session}` },
      }),
    );
    await expectError(base, res, 401, "unauthorized");

    const readOnly = as(await tokenFor(db, clock, u, ["read"]));
    expect((await readOnly.get("/me")).status).toBe(200);
    for (const [method, path, body, docPath] of [
      ["PUT", "/me/budget", { amount: "5.00" }, "/me/budget"],
      ["POST", "/things", { url: "https://x.example", title: "x" }, "/things"],
      ["POST", "/things/1/flattr", undefined, "/things/{id}/flattr"],
      ["DELETE", "/things/1/flattr", undefined, "/things/{id}/flattr"],
    ] as const) {
      res = await readOnly.request(method, path, body);
      await expectError(base, res, 403, "insufficient_scope", [method, docPath]);
      // A flattr and its withdrawal need write:favourites (which write covers), as a star does.
      const scope = path.includes("/flattr") ? "write:favourites" : "write";
      expect(res.headers.get("www-authenticate")).toContain(`scope="${scope}"`);
    }
    const writeOnly = as(await tokenFor(db, clock, u, ["write"]));
    for (const path of ["/me", "/me/flattrs", "/me/earnings", "/me/statement", "/things/1"])
      await expectError(base, await writeOnly.get(path), 403, "insufficient_scope");
    expect((await writeOnly.put("/me/budget", { amount: "5.00" })).status).toBe(200);

    // Revoked: refused at once.
    const token = await tokenFor(db, clock, u);
    expect((await as(token).get("/me")).status).toBe(200);
    const ids = await listTokens(db, u);
    expect(await revokeToken(db, clock, u, ids[0]!.id)).toBe(true);
    await expectError(base, await as(token).get("/me"), 401, "invalid_token");
    // Not twice, and not someone else's.
    expect(await revokeToken(db, clock, u, ids[0]!.id)).toBe(false);
    const other = await makeUser(db);
    expect(await revokeToken(db, clock, other, ids[1]!.id)).toBe(false);
    expect((await readOnly.get("/me")).status).toBe(200);
  });

  it("the public document and CORS: any origin, no credentials, preflight without a token", async () => {
    const { app, as } = makeApp(database, base, fixedClock("2026-05-10T10:00:00Z"));
    let res = await as(null).get("/openapi.json", { origin: "https://elsewhere.example" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect((await res.json()).openapi).toBe("3.1.0");

    res = await app.fetch(
      new Request(`https://flattr.example${BASE}/things/1/flattr`, {
        method: "OPTIONS",
        headers: {
          origin: "https://elsewhere.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      }),
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "authorization",
    );

    res = await as(null).get("/me", { origin: "https://elsewhere.example" });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
  });
});

describe("refusals", () => {
  it("every flattr refusal: 404, 422 with FlattrError's code, 429 with Retry-After", async () => {
    const config = testConfig({
      ORIGIN: "https://flattr.example",
      TIME_ZONE: "Europe/Berlin",
      FLATTR_RATE_LIMIT: "3/60",
      MAX_FLATTRS_PER_PERIOD: "2",
    });
    const clock = fixedClock("2026-06-10T10:00:00Z");
    const { as } = makeApp(database, config, clock);
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    const broke = await makeUser(db);
    const O = as(await tokenFor(db, clock, owner));
    const P = as(await tokenFor(db, clock, payer));
    const N = as(await tokenFor(db, clock, broke));
    await deposit(db, config, payer, 5000n);
    const things: number[] = [];
    for (const n of [1, 2, 3, 4]) {
      const r = await O.post("/things", { url: `https://o.example/${n}`, title: `T${n}` });
      things.push((await r.json()).id);
    }
    const [t1, t2, t3, t4] = things as [number, number, number, number];
    const flattrPath = ["POST", "/things/{id}/flattr"] as [string, string];
    const unflattrPath = ["DELETE", "/things/{id}/flattr"] as [string, string];

    await expectError(
      config,
      await P.post("/things/999999/flattr"),
      404,
      "thing_not_found",
      flattrPath,
    );
    await expectError(config, await P.get("/things/999999"), 404, "thing_not_found", [
      "GET",
      "/things/{id}",
    ]);
    await expectError(config, await N.post(`/things/${t1}/flattr`), 422, "no_budget", flattrPath);
    await expectError(
      config,
      await P.put("/me/budget", { amount: "1.99" }),
      422,
      "budget_too_low",
      ["PUT", "/me/budget"],
    );
    await expectError(
      config,
      await P.put("/me/budget", { amount: "100.01" }),
      422,
      "budget_too_high",
      ["PUT", "/me/budget"],
    );
    expect((await P.put("/me/budget", { amount: "10.00" })).status).toBe(200);
    await expectError(config, await O.put("/me/budget", { amount: "0" }), 422, "budget_too_low");
    expect((await O.put("/me/budget", { amount: "2" })).status).toBe(200);
    await expectError(config, await O.post(`/things/${t1}/flattr`), 422, "own_thing", flattrPath);
    await expectError(
      config,
      await P.delete(`/things/${t1}/flattr`),
      422,
      "not_flattred",
      unflattrPath,
    );
    await expectError(
      config,
      await P.delete("/things/424242/flattr"),
      404,
      "thing_not_found",
      unflattrPath,
    );
    expect((await P.post(`/things/${t1}/flattr`)).status).toBe(201);
    await expectError(
      config,
      await P.post(`/things/${t1}/flattr`),
      422,
      "already_flattred",
      flattrPath,
    );
    expect((await P.post(`/things/${t2}/flattr`)).status).toBe(201);
    await expectError(
      config,
      await P.post(`/things/${t3}/flattr`),
      422,
      "period_limit",
      flattrPath,
    );
    // Three flattrs (withdrawn ones count) in the window: the fourth waits.
    expect((await P.delete(`/things/${t2}/flattr`)).status).toBe(200);
    expect((await P.post(`/things/${t3}/flattr`)).status).toBe(201);
    const limited = await P.post(`/things/${t4}/flattr`);
    await expectError(config, limited, 429, "rate_limited", flattrPath);
    expect(limited.headers.get("retry-after")).toBe("60");
    clock.advance(61_000);
    await expectError(
      config,
      await P.post(`/things/${t4}/flattr`),
      422,
      "period_limit",
      flattrPath,
    );

    // Things: bad URL, title, description.
    for (const [body, code] of [
      [{ url: "ftp://o.example/x", title: "x" }, "invalid_url"],
      [{ url: "not a url", title: "x" }, "invalid_url"],
      [{ url: "https://flattr.example/@someone", title: "x" }, "invalid_url"],
      [{ url: "https://o.example/x", title: "   " }, "invalid_title"],
      [{ url: "https://o.example/x", title: "x".repeat(201) }, "invalid_title"],
      [
        { url: "https://o.example/x", title: "x", description: "d".repeat(2001) },
        "invalid_description",
      ],
    ] as const)
      await expectError(config, await O.post("/things", body), 422, code, ["POST", "/things"]);

    // A closed period: the clock is still in June, June is closed.
    await closePeriod(db, fixedClock("2026-07-01T00:00:00Z"), config, "2026-06");
    await expectError(
      config,
      await P.post(`/things/${t4}/flattr`),
      422,
      "period_closed",
      flattrPath,
    );
    await expectError(
      config,
      await P.delete(`/things/${t1}/flattr`),
      422,
      "period_closed",
      unflattrPath,
    );
    expect(await checkLedger(db)).toEqual([]);
  });
});

describe("bad input never gets a 500", () => {
  it("malformed bodies, wrong types, bad periods and ids, unknown routes", async () => {
    const clock = fixedClock("2026-08-10T10:00:00Z");
    const { as, app } = makeApp(database, base, clock);
    const u = await makeUser(db);
    const C = as(await tokenFor(db, clock, u));
    const huge = JSON.stringify({
      url: "https://x.example",
      title: "x",
      description: "d".repeat(20_000),
    });
    const cases: [string, string, unknown, Record<string, string>, number, string][] = [
      ["PUT", "/me/budget", "{", {}, 400, "malformed_json"],
      ["PUT", "/me/budget", "", {}, 400, "malformed_json"],
      ["PUT", "/me/budget", '{"amount": "5.00"', {}, 400, "malformed_json"],
      ["PUT", "/me/budget", "[]", {}, 422, "invalid_request"],
      ["PUT", "/me/budget", "null", {}, 422, "invalid_request"],
      ["PUT", "/me/budget", '"5.00"', {}, 422, "invalid_request"],
      ["PUT", "/me/budget", {}, {}, 422, "invalid_request"],
      ["PUT", "/me/budget", { amount: 5 }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: 5.5 }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: null }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: ["5"] }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: "5.001" }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: "-5.00" }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: "5e2" }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: "five" }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: "9".repeat(40) }, {}, 422, "invalid_amount"],
      ["PUT", "/me/budget", { amount: "" }, {}, 422, "invalid_amount"],
      [
        "PUT",
        "/me/budget",
        "amount=5",
        { "content-type": "application/x-www-form-urlencoded" },
        415,
        "unsupported_media_type",
      ],
      [
        "PUT",
        "/me/budget",
        '{"amount":"5.00"}',
        { "content-type": "text/plain" },
        415,
        "unsupported_media_type",
      ],
      ["POST", "/things", huge, {}, 413, "body_too_large"],
      ["POST", "/things", { title: "x" }, {}, 422, "invalid_request"],
      ["POST", "/things", { url: "https://x.example" }, {}, 422, "invalid_request"],
      ["POST", "/things", { url: 42, title: "x" }, {}, 422, "invalid_request"],
      [
        "POST",
        "/things",
        { url: "https://x.example", title: { a: 1 } },
        {},
        422,
        "invalid_request",
      ],
      [
        "POST",
        "/things",
        { url: "https://x.example", title: "x", description: 7 },
        {},
        422,
        "invalid_request",
      ],
      ["POST", "/things", "\u0000", {}, 400, "malformed_json"],
      ["GET", "/me/flattrs?period=2026-13", undefined, {}, 400, "invalid_period"],
      ["GET", "/me/flattrs?period=26-03", undefined, {}, 400, "invalid_period"],
      ["GET", "/me/earnings?period=2026-3", undefined, {}, 400, "invalid_period"],
      ["GET", "/me/earnings?period=0000-01", undefined, {}, 400, "invalid_period"],
      ["GET", "/me/statement?period=2026-03-01", undefined, {}, 400, "invalid_period"],
      ["GET", "/me/statement?period=%00", undefined, {}, 400, "invalid_period"],
      ["GET", "/me/statement?format=xml", undefined, {}, 400, "invalid_request"],
      ["GET", "/things/abc", undefined, {}, 404, "not_found"],
      ["GET", "/things/0", undefined, {}, 404, "not_found"],
      ["GET", "/things/-1", undefined, {}, 404, "not_found"],
      ["GET", "/things/1.5", undefined, {}, 404, "not_found"],
      ["GET", "/things/1e3", undefined, {}, 404, "not_found"],
      ["GET", "/things/99999999999999999999", undefined, {}, 404, "not_found"],
      ["GET", "/things/%F0%9F%92%A9", undefined, {}, 404, "not_found"],
      ["POST", "/things/abc/flattr", undefined, {}, 404, "not_found"],
      ["DELETE", "/things/9007199254740993/flattr", undefined, {}, 404, "not_found"],
      ["GET", "/nope", undefined, {}, 404, "not_found"],
      ["GET", "/things", undefined, {}, 405, "method_not_allowed"],
      ["PATCH", "/me", undefined, {}, 405, "method_not_allowed"],
      ["DELETE", "/me/budget", undefined, {}, 405, "method_not_allowed"],
    ];
    for (const [method, path, body, headers, status, code] of cases) {
      const res = await C.request(method, path, body, headers);
      expect(res.status, `${method} ${path} ${String(body).slice(0, 30)}`).toBe(status);
      const json = await res.json();
      expect(json, `${method} ${path}`).toMatchObject({ error: expect.any(String), code });
    }
    const r405 = await C.request("PATCH", "/me");
    expect(r405.headers.get("allow")).toBe("GET");

    // A declared length beyond the limit is refused before the body is read.
    const raw = await app.fetch(
      new Request(`https://flattr.example${BASE}/me/budget`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${C.token}`,
          "content-type": "application/json",
          "content-length": "100000",
        },
        body: "x".repeat(100_000),
      }),
    );
    expect(raw.status).toBe(413);
    // Nothing of the above changed anything.
    expect((await (await C.get("/me")).json()).budget).toBeNull();
  });
});
