// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { expectDocumented, makeApp, tokenFor } from "./support.ts";

let database: Database;
const config = testConfig({ ORIGIN: "https://flattr.example" });
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe("REST API: subscriptions", () => {
  it("subscribes for 3 months, shows the months, refuses a second, cancels", async () => {
    const db = database.db;
    const { as } = makeApp(database, config, clock);
    const creator = await makeUser(db);
    const payer = await makeUser(db);
    const { thing } = await registerThing(db, clock, config, creator, {
      url: "https://blog.example/",
      title: "Blog",
    });
    await deposit(db, config, payer, 1000n);
    await setBudget(db, clock, config, payer, 500n);
    const P = as(await tokenFor(db, clock, payer));

    let res = await P.get(`/things/${thing.id}/subscription`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).code).toBe("not_subscribed");
    res = await P.post(`/things/${thing.id}/subscription`, { months: 5 });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).code).toBe("invalid_months");
    res = await P.post(`/things/${thing.id}/subscription`, { months: "3" });
    expect(res.status).toBe(422);
    res = await P.post("/things/999999/subscription", { months: 3 });
    expect(res.status).toBe(404);

    res = await P.post(`/things/${thing.id}/subscription`, { months: 3 });
    expect(res.status).toBe(201);
    const s = await expectDocumented(config, res, "POST", "/things/{id}/subscription");
    expect(s).toMatchObject({
      thing_id: thing.id,
      months: 3,
      first_period: "2026-12",
      last_period: "2027-02",
      cancelled_at: null,
      runs: [{ period: "2026-12", outcome: "flattred", message: null }],
    });
    res = await P.post(`/things/${thing.id}/subscription`, { months: 6 });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).code).toBe("already_subscribed");
    const got = await expectDocumented(
      config,
      await P.get(`/things/${thing.id}/subscription`),
      "GET",
      "/things/{id}/subscription",
    );
    expect(got.id).toBe(s.id);
    res = await P.delete(`/things/${thing.id}/subscription`);
    expect(res.status).toBe(200);
    const cancelled = await expectDocumented(config, res, "DELETE", "/things/{id}/subscription");
    expect(cancelled.cancelled_at).not.toBeNull();
    expect((await P.delete(`/things/${thing.id}/subscription`)).status).toBe(404);
    expect(await checkLedger(db)).toEqual([]);
  });
});
