import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { BASE, makeApp, tokenFor } from "./support.ts";

/*
 * What the REST API answers over real HTTP/1 through @hono/node-server, headers included: the
 * server's per-request work was cut (ADR 0036) without changing any answer, and these are the
 * answers of the code before it (statuses, bodies, every header but Date).
 */

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ ORIGIN: "https://flattr.example", TIME_ZONE: "Europe/Berlin" });

interface Answer {
  status: number;
  /**
   * Header lines as sent, `name: value` with the name in lower case (names are case-insensitive:
   * @hono/node-server spells Content-Length differently on its fast path), sorted; without the
   * connection's own (Date, Connection, Keep-Alive).
   */
  headers: string[];
  body: string;
}

const CONNECTION = new Set(["date", "connection", "keep-alive"]);

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        data += d;
      });
      res.on("end", () => {
        const lines: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i]!.toLowerCase();
          if (!CONNECTION.has(name)) lines.push(`${name}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({ status: res.statusCode ?? 0, headers: lines.sort(), body: data });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Every API answer's headers but the preflight's (CORS, security headers of the pages). */
const SECURITY = [
  "content-security-policy: frame-ancestors 'none'",
  "origin-agent-cluster: ?1",
  "referrer-policy: same-origin",
  "strict-transport-security: max-age=15552000; includeSubDomains",
  "x-content-type-options: nosniff",
  "x-dns-prefetch-control: off",
  "x-download-options: noopen",
  "x-frame-options: DENY",
  "x-permitted-cross-domain-policies: none",
  "x-xss-protection: 0",
];
const CORS = [
  "access-control-allow-origin: *",
  "access-control-expose-headers: Location,Retry-After,WWW-Authenticate,Content-Disposition",
];
const json = (body: string, ...extra: string[]) =>
  [
    ...CORS,
    ...SECURITY,
    "cache-control: private, no-store",
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    ...extra,
  ].sort();

describe("API answers over HTTP", () => {
  it("keeps every status, header and body (flattr, refusals, 404, 405, preflight)", async () => {
    const db = database.db;
    const [now] = await queryRows<{ now: string | Date }>(db, sql`select now() as now`);
    const clock = fixedClock(new Date(now!.now));
    const { app, as } = makeApp(database, config, clock);
    const alice = await makeUser(db);
    const bob = await makeUser(db);
    const A = as(await tokenFor(db, clock, alice));
    const bobToken = await tokenFor(db, clock, bob);
    await deposit(db, config, bob, 1000n);
    expect((await as(bobToken).put("/me/budget", { amount: "5.00" })).status).toBe(200);
    const thing = (await (
      await A.post("/things", { url: "https://alice.example/p", title: "P" })
    ).json()) as { id: number };

    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const { port } = server.address() as AddressInfo;
    try {
      const auth = { authorization: `Bearer ${bobToken}` };
      const flattr = `${BASE}/things/${thing.id}/flattr`;
      const expectJson = (a: Answer, status: number, body: unknown, ...extra: string[]) => {
        expect(a.status, a.body).toBe(status);
        expect(JSON.parse(a.body)).toEqual(body);
        expect(a.headers).toEqual(json(a.body, ...extra));
      };
      const made = await send(port, "POST", flattr, auth);
      const flattrJson = {
        id: expect.any(Number),
        thing_id: thing.id,
        period: expect.stringMatching(/^\d{4}-\d{2}$/),
        created_at: new Date(now!.now).toISOString(),
      };
      expectJson(made, 201, flattrJson);
      const { period } = JSON.parse(made.body) as { period: string };
      expectJson(await send(port, "POST", flattr, auth), 422, {
        error: `You have already flattred this thing in ${period}; one flattr per thing per month.`,
        code: "already_flattred",
      });
      expectJson(
        await send(port, "POST", flattr, {}),
        401,
        {
          error:
            'This API needs an access token: send "Authorization: Bearer <token>" (create one at /settings/tokens, or sign in with an app over OAuth).',
          code: "unauthorized",
        },
        'www-authenticate: Bearer realm="fediflattr"',
      );
      expectJson(
        await send(port, "POST", flattr, { authorization: "Bearer nope" }),
        401,
        { error: "The access token is invalid or has been revoked.", code: "invalid_token" },
        'www-authenticate: Bearer realm="fediflattr", error="invalid_token"',
      );
      expectJson(await send(port, "POST", `${BASE}/things/x/flattr`, auth), 404, {
        error: "No such thing: ids are positive whole numbers.",
        code: "not_found",
      });
      const got = await send(port, "GET", `${BASE}/things/${thing.id}`, auth);
      expect(got.status).toBe(200);
      expect(got.headers).toEqual(json(got.body));
      expectJson(await send(port, "GET", `${BASE}/nowhere`, auth), 404, {
        error: `Not found: ${BASE}/nowhere`,
        code: "not_found",
      });
      expectJson(
        await send(port, "PATCH", flattr, auth),
        405,
        { error: "PATCH is not allowed here; use POST, DELETE.", code: "method_not_allowed" },
        "allow: POST, DELETE",
      );
      const preflight = await send(port, "OPTIONS", flattr, {
        origin: "https://app.example",
        "access-control-request-method": "POST",
      });
      expect(preflight.status).toBe(204);
      expect(preflight.body).toBe("");
      expect(preflight.headers).toEqual(
        [
          ...CORS,
          ...SECURITY,
          "access-control-allow-headers: Authorization,Content-Type,Accept",
          "access-control-allow-methods: GET,PUT,PATCH,POST,DELETE,OPTIONS",
          "access-control-max-age: 86400",
          "vary: Access-Control-Request-Headers",
        ].sort(),
      );
      expectJson(await send(port, "DELETE", flattr, auth), 200, {
        ...flattrJson,
        withdrawn: true,
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
