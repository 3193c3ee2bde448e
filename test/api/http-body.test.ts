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
 * The body limit over real HTTP/1 (src/api/router.ts): requests without a body skip hono's
 * bodyLimit (it would build a whole fetch Request to find out), so the ways a body can arrive
 * over the wire must still be limited: a declared length and a chunked body.
 */

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ ORIGIN: "https://flattr.example", TIME_ZONE: "Europe/Berlin" });

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        data += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe("API body limit over HTTP", () => {
  it("flattrs without a body; refuses a long declared or chunked body with 413", async () => {
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
      // No Content-Length, no Transfer-Encoding: node's http client sends none for a bare POST.
      const ok = await send(port, "POST", `${BASE}/things/${thing.id}/flattr`, auth);
      expect(ok.status, ok.body).toBe(201);
      expect(JSON.parse(ok.body)).toMatchObject({ thing_id: thing.id });

      const big = JSON.stringify({ amount: "1.00", pad: "x".repeat(20_000) });
      const json = { ...auth, "content-type": "application/json" };
      const chunked = await send(
        port,
        "PUT",
        `${BASE}/me/budget`,
        { ...json, "transfer-encoding": "chunked" },
        big,
      );
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body)).toMatchObject({ code: "body_too_large" });
      const declared = await send(
        port,
        "PUT",
        `${BASE}/me/budget`,
        { ...json, "content-length": String(Buffer.byteLength(big)) },
        big,
      );
      expect(declared.status).toBe(413);
      // A small body still gets through.
      const small = await send(port, "PUT", `${BASE}/me/budget`, json, '{"amount":"4.00"}');
      expect(small.status, small.body).toBe(200);
      expect(JSON.parse(small.body)).toMatchObject({ budget: "4.00" });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
