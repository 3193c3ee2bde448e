// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
// Claims through the REST API and the settings page: start, a refused verification, a won one
// that moves the held money; the admin page lists it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { resolveThing } from "../../src/flattr/resolve.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { actorData, FakeLookup } from "../helpers/fake-lookup.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";
import { expectDocumented, makeApp, tokenFor } from "./support.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ ORIGIN: "https://flattr.example" });
const BOB = "https://masto.example/users/bob";

describe("claims over the API and the pages", () => {
  it("starts, refuses without the code, verifies, lists", async () => {
    const db = database.db;
    const clock = fixedClock("2026-10-05T12:00:00Z");
    const deps = { config, database, clock };
    const lookup = new FakeLookup(deps);
    lookup.addActor(actorData(BOB), "bob@masto.example");
    const profile = await resolveThing(deps, lookup, "@bob@masto.example");
    if (!profile.ok) throw profile.error;
    const payer = await makeUser(db);
    await deposit(db, config, payer, 1000n);
    await setBudget(db, clock, config, payer, 300n);
    await flattr(db, clock, config, payer, profile.value.thing.id);
    await closePeriod(db, fixedClock("2026-11-01T02:00:00Z"), config, "2026-10");

    const alice = await makeUser(db, "alice");
    const { as } = makeApp(database, config, clock, { remoteLookup: lookup });
    const me = as(await tokenFor(db, clock, alice));
    let res = await me.post("/me/claims", { account: "@bob@masto.example" });
    expect(res.status).toBe(201);
    const claim = await expectDocumented(config, res, "POST", "/me/claims");
    expect(claim).toMatchObject({ state: "pending", held: "3.00", claimed: "0.00" });
    expect(claim.code).toMatch(/^fediflattr-claim:alice@flattr\.example:[a-z2-9]{12}$/);

    res = await me.post(`/me/claims/${claim.id}/verify`, {});
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: "claim_code_missing" });
    res = await me.post("/me/claims/999999/verify", {});
    expect(res.status).toBe(404);

    // The page shows the code and the problem.
    const pages = moneyApp(config, database, clock, { remoteLookup: lookup });
    const page = await pages.as(alice);
    const html = textOf(await (await page.get("/settings/claims")).text());
    expect(html).toContain(claim.code);
    expect(html).toContain("is not in the account's profile");

    lookup.addActor(
      actorData(BOB, { summaryHtml: `<p>me: ${claim.code}</p>` }),
      "bob@masto.example",
    );
    res = await me.post(`/me/claims/${claim.id}/verify`, { proof_url: "" });
    expect(res.status).toBe(200);
    expect(await expectDocumented(config, res, "POST", "/me/claims/{id}/verify")).toMatchObject({
      state: "won",
      claimed: "3.00",
      held: "0.00",
      proof_url: BOB,
    });
    const list = await expectDocumented(config, await me.get("/me/claims"), "GET", "/me/claims");
    expect(list.claims.map((x: any) => x.state)).toEqual(["won"]);
    res = await me.post("/me/claims", { account: BOB });
    expect(res.status).toBe(409);

    const admin = await pages.as(await pages.user("root", { admin: true }));
    const adminHtml = textOf(await (await admin.get("/admin/claims")).text());
    expect(adminHtml).toContain("@bob@masto.example @alice@flattr.example won");
    expect(await checkLedger(db)).toEqual([]);
  });
});
