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
    for (const { name, headers, body } of INBOX_CASES) {
      const res = await app.fetch(
        new Request(`http://localhost:8080${path}`, { method: "POST", headers, body }),
      );
      expect(res.status, `${path} ${name}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path} ${name}`).toBeLessThan(500);
      expect((await res.json()).error, `${path} ${name}`).toBeTruthy();
    }
  }
});

// Refused quickly: nothing listens on the discard port, so a key fetch fails at once.
const KEY = "http://127.0.0.1:9/users/x#main-key";
const LIKE = JSON.stringify({
  "@context": "https://www.w3.org/ns/activitystreams",
  id: "http://127.0.0.1:9/users/x#likes/1",
  type: "Like",
  actor: "http://127.0.0.1:9/users/x",
  object: "http://localhost:8080/users/inboxed",
});
const AP = "application/activity+json";
const signature = (keyId: string) =>
  `keyId="${keyId}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"`;

/** Inbox POSTs that are wrong in every way we could think of: each must be a 4xx with a message. */
const INBOX_CASES: {
  name: string;
  headers: Record<string, string>;
  body: string | Uint8Array<ArrayBuffer>;
}[] = [
  {
    name: "oversized, unsigned",
    headers: { "content-type": AP },
    body: "x".repeat(1024 * 1024 + 1),
  },
  {
    name: "oversized, signed",
    headers: { "content-type": AP, signature: signature(KEY) },
    body: " ".repeat(1024 * 1024 + 1),
  },
  {
    name: "truncated",
    headers: { "content-type": AP, signature: signature(KEY) },
    body: LIKE.slice(0, 60),
  },
  { name: "not JSON", headers: { "content-type": AP, signature: signature(KEY) }, body: "<html>" },
  {
    name: "not UTF-8",
    headers: { "content-type": AP, signature: signature(KEY) },
    body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
  },
  { name: "a JSON array", headers: { "content-type": AP, signature: signature(KEY) }, body: "[]" },
  {
    name: "not an activity",
    headers: { "content-type": AP, signature: signature(KEY) },
    body: '{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","id":"x:y"}',
  },
  { name: "HTML content type", headers: { "content-type": "text/html" }, body: LIKE },
  { name: "no content type", headers: {}, body: LIKE },
  { name: "signature garbage", headers: { "content-type": AP, signature: "garbage" }, body: LIKE },
  {
    name: "keyId not a URL",
    headers: { "content-type": AP, signature: signature("not a url") },
    body: LIKE,
  },
  {
    name: "keyId javascript:",
    headers: { "content-type": AP, signature: signature("javascript:alert(1)") },
    body: LIKE,
  },
  {
    name: "two keyIds",
    headers: {
      "content-type": AP,
      signature: `${signature(KEY)},keyId="http://127.0.0.1:9/other#k"`,
    },
    body: LIKE,
  },
  {
    name: "RFC 9421 input without a keyid",
    headers: {
      "content-type": AP,
      "signature-input": 'sig1=("@method");alg="x"',
      signature: "sig1=:AAAA:",
    },
    body: LIKE,
  },
  {
    name: "RFC 9421 garbage",
    headers: { "content-type": AP, "signature-input": `sig1=(;keyid="${KEY}"`, signature: "x" },
    body: LIKE,
  },
  {
    name: "bogus signature from an unreachable key",
    headers: { "content-type": AP, signature: signature(KEY), date: "yesterday", digest: "x" },
    body: LIKE,
  },
  {
    name: "key on another origin than the activity",
    headers: { "content-type": AP, signature: signature("http://127.0.0.1:10/k") },
    body: LIKE,
  },
  {
    name: "huge signature header",
    headers: { "content-type": AP, signature: signature(`${KEY}${"a".repeat(100_000)}`) },
    body: LIKE,
  },
  {
    name: "huge other header",
    headers: { "content-type": AP, "x-junk": "j".repeat(100_000) },
    body: LIKE,
  },
  {
    name: "huge content-length",
    headers: { "content-type": AP, signature: signature(KEY), "content-length": "99999999999" },
    body: LIKE,
  },
];
