// bearerAuth (src/http/bearer.ts) is a middleware a router opts into, separate from the pages'
// session cookie: it looks a token up only when a route asks for the user, at most once per
// request, and never for the API flattr's own statement (ADR 0005).
import { Hono } from "hono";
import { afterAll, beforeAll, expect, it } from "vitest";
import { apiRouter } from "../../src/api/router.ts";
import { createApp } from "../../src/app.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import {
  accessTokenResolver,
  apiUser,
  type BearerResolver,
  bearerAuth,
} from "../../src/http/bearer.ts";
import type { AppEnv } from "../../src/http/env.ts";
import { onError } from "../../src/http/errors.ts";
import { API_BASE } from "../../src/http/urls.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { tokenFor } from "./support.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ ORIGIN: "https://flattr.example", TIME_ZONE: "UTC" });
const clock = fixedClock("2026-09-03T10:00:00Z");

it("looks the token up lazily, at most once per request, and not for the flattr fast path", async () => {
  const deps = { config, database, clock };
  let lookups = 0;
  const counting: BearerResolver = (d, token) => {
    lookups++;
    return accessTokenResolver(d, token);
  };
  const hono = new Hono<AppEnv>();
  hono.onError(onError);
  hono.use(async (c, next) => {
    c.set("deps", deps);
    c.set("user", null);
    await next();
  });
  // Any route may opt in, under any path: here one that asks for the user twice.
  hono.get("/elsewhere/probe", bearerAuth(counting), async (c) => {
    const first = await apiUser(c, "read");
    const second = await apiUser(c, "read");
    return c.json({ same: first === second, id: first.id });
  });
  hono.route(API_BASE, apiRouter({ bearer: counting }));
  const call = async (method: string, path: string, token?: string) => {
    lookups = 0;
    const headers = token ? { authorization: `Bearer ${token}` } : undefined;
    const res = await hono.fetch(new Request(`https://flattr.example${path}`, { method, headers }));
    return { status: res.status, lookups, body: await res.json() };
  };

  const owner = await makeUser(database.db);
  const payer = await makeUser(database.db);
  await deposit(database.db, config, payer, 1000n);
  const ownerToken = await tokenFor(database.db, clock, owner);
  const payerToken = await tokenFor(database.db, clock, payer);
  // No budget needed to register; the flattr below needs one.
  await hono.fetch(
    new Request(`https://flattr.example${API_BASE}/me/budget`, {
      method: "PUT",
      headers: { authorization: `Bearer ${payerToken}`, "content-type": "application/json" },
      body: JSON.stringify({ amount: "5.00" }),
    }),
  );
  const registered = await hono.fetch(
    new Request(`https://flattr.example${API_BASE}/things`, {
      method: "POST",
      headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://lazy.example/", title: "Lazy" }),
    }),
  );
  const thingId = ((await registered.json()) as { id: number }).id;

  expect(await call("GET", "/elsewhere/probe", ownerToken)).toEqual({
    status: 200,
    lookups: 1,
    body: { same: true, id: owner },
  });
  expect(await call("GET", `${API_BASE}/me`, ownerToken)).toMatchObject({
    status: 200,
    lookups: 1,
  });
  expect(await call("GET", `${API_BASE}/openapi.json`, ownerToken)).toMatchObject({
    status: 200,
    lookups: 0,
  });
  expect(await call("GET", `${API_BASE}/me`)).toMatchObject({ status: 401, lookups: 0 });
  // The flattr checks a personal token in its own statement: no lookup before it.
  expect(await call("POST", `${API_BASE}/things/${thingId}/flattr`, payerToken)).toMatchObject({
    status: 201,
    lookups: 0,
  });
  // A malformed id takes the ordinary way: the token first (one lookup), then the 404.
  expect(await call("POST", `${API_BASE}/things/abc/flattr`, payerToken)).toMatchObject({
    status: 404,
    lookups: 1,
  });
  expect(await checkLedger(database.db)).toEqual([]);
});

it("in the app, a token authenticates API routes only, and a cookie never does", async () => {
  const app = createApp({ config, database, clock });
  const user = await makeUser(database.db);
  const token = await tokenFor(database.db, clock, user);
  const get = (path: string, headers: Record<string, string>) =>
    app.fetch(new Request(`https://flattr.example${path}`, { headers }));
  expect((await get(`${API_BASE}/me`, { authorization: `Bearer ${token}` })).status).toBe(200);
  // A page asked with the token is asked by nobody: the login page.
  const page = await get("/settings", { authorization: `Bearer ${token}` });
  expect(page.status).toBe(303);
  expect(page.headers.get("location")).toMatch(/^\/login/);
  // The pages' session middleware does not run for the API: no visitor cookie, no user.
  const api = await get(`${API_BASE}/me`, { cookie: "ff_session=whatever" });
  expect(api.status).toBe(401);
  expect(api.headers.get("set-cookie")).toBeNull();
});
