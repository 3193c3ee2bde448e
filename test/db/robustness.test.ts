import { afterAll, beforeAll, expect, it } from "vitest";
import { createToken } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { moneyApp } from "../helpers/money-pages.ts";
import { csrfTokenOf } from "../helpers/web-client.ts";

/**
 * Every route the app registers, hit with hostile input by a logged-in admin (so requests get
 * past login and CSRF into the handlers) and by an API token: nothing may answer 5xx.
 */
let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const PARAM_VALUES = [
  "abc",
  "-1",
  "0",
  "1",
  "99999999999999999999999",
  "1.5",
  "%00",
  "%F0%9F%98%80",
  "x".repeat(300),
  "2026-13",
  "..%2F..%2Fetc",
];

const BODIES: { type: string | null; body: string }[] = [
  { type: "application/json", body: "{not json" },
  { type: "application/json", body: '{"amount": 5, "url": 7, "title": null}' },
  {
    type: "application/json",
    body: '{"amount": "-1.00", "url": "javascript:alert(1)", "title": ""}',
  },
  { type: "application/json", body: "[]" },
  { type: "application/json", body: '"just a string"' },
  { type: "application/x-www-form-urlencoded", body: "amount=%E0%A4%A&title=%00&url=::" },
  { type: "application/x-www-form-urlencoded", body: `title=${"t".repeat(5000)}&amount=1e9` },
  { type: "multipart/form-data; boundary=zz", body: "--zz\r\nbroken" },
  { type: "text/plain", body: "hello" },
  { type: null, body: "" },
];

function fill(path: string, value: string): string {
  return path
    .replace(/:([A-Za-z_]+)\{[^}]*\}/g, value)
    .replace(/:([A-Za-z_]+)/g, value)
    .replace(/\*/g, value);
}

it("answers hostile input on every route without a 5xx", async () => {
  const clock = fixedClock("2026-05-15T12:00:00Z");
  const config = testConfig({ ORIGIN: "http://localhost:8080" });
  const { app, as, user } = moneyApp(config, database, clock);
  const admin = await user("robust_admin", { admin: true });
  const other = await user("robust_other");
  await registerThing(database.db, clock, config, other, {
    url: "https://example.org/robust",
    title: "Robust",
  });
  const { token } = await createToken(database.db, clock, admin, { name: "robust" });
  const browser = await as(admin);
  const csrf = csrfTokenOf(await (await browser.get("/settings")).text());

  const routes = new Set<string>();
  for (const r of app.hono.routes) if (r.path !== "/*") routes.add(`${r.method} ${r.path}`);
  expect(routes.size).toBeGreaterThan(20);

  const failures: string[] = [];
  const statuses: Record<number, number> = {};
  const check = async (label: string, res: Response) => {
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status >= 500)
      failures.push(`${label} → ${res.status} ${(await res.text()).slice(0, 200)}`);
    else await res.arrayBuffer();
  };

  // Logging out and revoking tokens would turn every later request into a plain 401/403: last.
  const last = (r: string) => (/logout|revoke/.test(r) ? 1 : 0);
  for (const route of [...routes].sort((a, b) => last(a) - last(b))) {
    const [method, pattern] = route.split(" ") as [string, string];
    const methods = method === "ALL" ? ["GET", "POST"] : [method];
    for (const value of PARAM_VALUES) {
      const path = fill(pattern, value);
      for (const m of methods) {
        if (m === "GET" || m === "HEAD" || m === "OPTIONS") {
          await check(
            `${m} ${path}`,
            await browser.request(
              `${path}?period=${value}&page=${value}&user=${value}&url=${value}`,
              { method: m },
            ),
          );
          await check(
            `${m} ${path} (bearer)`,
            await app.fetch(
              new Request(`http://localhost:8080${path}?period=${value}`, {
                method: m,
                headers: { authorization: `Bearer ${token}`, accept: "application/json" },
              }),
            ),
          );
          continue;
        }
        for (const { type, body } of BODIES) {
          const headers: Record<string, string> = {
            origin: "http://localhost:8080",
            "x-csrf-token": csrf,
          };
          if (type) headers["content-type"] = type;
          await check(
            `${m} ${path} [${type}] ${body.slice(0, 30)}`,
            await browser.request(path, {
              method: m,
              headers,
              body: m === "GET" ? undefined : body,
            }),
          );
          await check(
            `${m} ${path} (bearer) [${type}] ${body.slice(0, 30)}`,
            await app.fetch(
              new Request(`http://localhost:8080${path}`, {
                method: m,
                headers: { ...headers, authorization: `Bearer ${token}` },
                body,
              }),
            ),
          );
        }
      }
    }
  }
  expect(failures).toEqual([]);
  // Requests reached handlers: refusals of several kinds, not just one blanket answer.
  expect(Object.keys(statuses).length).toBeGreaterThan(4);
  console.log(`robustness: ${routes.size} routes, statuses ${JSON.stringify(statuses)}`);
}, 600_000);

it("answers garbage on the ActivityPub inboxes with a 4xx", async () => {
  const clock = fixedClock("2026-05-15T12:00:00Z");
  const config = testConfig({ ORIGIN: "http://localhost:8080" });
  const { app, user } = moneyApp(config, database, clock);
  await user("inboxed");
  for (const path of ["/inbox", "/users/inboxed/inbox", "/users/nobody/inbox"]) {
    for (const { type, body } of BODIES) {
      const headers: Record<string, string> = {};
      if (type)
        headers["content-type"] = type.replace("application/json", "application/activity+json");
      const res = await app.fetch(
        new Request(`http://localhost:8080${path}`, { method: "POST", headers, body }),
      );
      expect(res.status, `${path} ${body}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path} ${body}`).toBeLessThan(500);
    }
  }
});
