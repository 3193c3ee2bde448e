import { afterAll, beforeAll, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import { createToken } from "../../src/accounts/tokens.ts";
import { createApp } from "../../src/app.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { mastodonApp } from "../../src/mastodon/app.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

/**
 * Every route of the Mastodon API (and unknown ones beside them), hit with hostile input, with
 * each kind of token and with none: every answer is JSON, never HTML, never a 5xx
 * (test/db/robustness.test.ts does the same for the pages and the REST API).
 */
let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const VALUES = [
  "abc",
  "-1",
  "0",
  "99999999999999999999999",
  "%00",
  "%F0%9F%98%80",
  "x".repeat(300),
];

const BODIES: { type: string | null; body: string }[] = [
  { type: "application/json", body: "{not json" },
  { type: "application/json", body: '{"client_name": 5, "redirect_uris": {"a": 1}, "scopes": []}' },
  { type: "application/json", body: '{"grant_type": ["a", "b"], "code": null, "token": 7}' },
  { type: "application/json", body: "[]" },
  { type: "application/json", body: '"just a string"' },
  {
    type: "application/x-www-form-urlencoded",
    body: "client_name=%E0%A4%A&redirect_uris=::&scopes=%00",
  },
  {
    type: "application/x-www-form-urlencoded",
    body: `client_name=${"n".repeat(5000)}&redirect_uris[]=a&redirect_uris[]=javascript:x&grant_type=authorization_code&code=x&client_id=y`,
  },
  { type: "multipart/form-data; boundary=zz", body: "--zz\r\nbroken" },
  { type: "text/plain", body: "hello" },
  { type: null, body: '{"client_name":"bare","redirect_uris":"urn:ietf:wg:oauth:2.0:oob"}' },
  { type: null, body: "" },
];

it("answers JSON to hostile input on every Mastodon route, never a 5xx", async () => {
  const clock = fixedClock("2026-05-15T12:00:00Z");
  const config = testConfig({ ORIGIN: "http://localhost:8080", APP_RATE_LIMIT: "100000/60" });
  const deps = { config, database, clock };
  const app = createApp(deps);
  const userId = await makeUser(database.db, "robust_masto");
  const { app: oauthApp } = await registerApp(database.db, clock, {
    name: "robust",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: "read write follow push",
  });
  const tokens: Record<string, string | null> = {
    none: null,
    bogus: "ffoat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    oauth: (await issueOAuthToken(database.db, clock, oauthApp, userId, ["read", "write"])).token,
    narrow: (await issueOAuthToken(database.db, clock, oauthApp, userId, ["read:accounts"])).token,
    app: (await issueOAuthToken(database.db, clock, oauthApp, null, ["read"])).token,
    pat: (await createToken(database.db, clock, userId, { name: "robust" })).token,
  };

  const routes = new Set<string>();
  for (const r of mastodonApp(deps).routes)
    if (r.method !== "ALL") routes.add(`${r.method} ${r.path}`);
  expect(routes.size).toBeGreaterThan(30);
  // Unknown neighbours must answer JSON too.
  for (const extra of [
    "GET /api/v1/nope",
    "POST /api/v2/x/y",
    "DELETE /api/v1/apps",
    "GET /oauth/token",
  ])
    routes.add(extra);

  const failures: string[] = [];
  const statuses: Record<number, number> = {};
  const check = async (label: string, res: Response) => {
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    const type = res.headers.get("content-type") ?? "";
    const text = await res.text();
    // The one exception, as on Mastodon: the streaming health check is the text "OK".
    if (label.startsWith("GET /api/v1/streaming/health") && res.status === 200) {
      if (text !== "OK") failures.push(`${label} → ${text.slice(0, 120)}`);
      return;
    }
    if (res.status >= 500 || (res.status !== 204 && !type.startsWith("application/json")))
      failures.push(`${label} → ${res.status} ${type} ${text.slice(0, 120)}`);
    else if (res.status !== 204) JSON.parse(text);
  };

  for (const route of routes) {
    const [method, pattern] = route.split(" ") as [string, string];
    for (const [kind, token] of Object.entries(tokens)) {
      const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      for (const value of VALUES) {
        const path = pattern.replace(/:[A-Za-z_]+/g, encodeURIComponent(value));
        for (const slash of ["", "/"]) {
          const url = `http://localhost:8080${path}${slash}?limit=${value}&max_id=${value}&scope=${value}`;
          if (method === "GET") {
            await check(
              `${method} ${path}${slash} (${kind})`,
              await app.fetch(new Request(url, { headers: auth })),
            );
            continue;
          }
          if (value !== VALUES[0] && slash === "/") continue; // bodies once per route are enough
          for (const { type, body } of BODIES) {
            const headers = { ...auth, ...(type ? { "content-type": type } : {}) };
            await check(
              `${method} ${path}${slash} (${kind}) [${type}] ${body.slice(0, 30)}`,
              await app.fetch(new Request(url, { method, headers, body })),
            );
          }
        }
      }
    }
  }
  expect(failures).toEqual([]);
  expect(Object.keys(statuses).length).toBeGreaterThan(4);
  console.log(`mastodon robustness: ${routes.size} routes, statuses ${JSON.stringify(statuses)}`);
}, 600_000);
