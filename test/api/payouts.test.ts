// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { expectDocumented, makeApp, tokenFor } from "./support.ts";

let database: Database;
const config = testConfig({ ORIGIN: "https://flattr.example", PAYOUT_MINIMUM: "10.00" });
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe("REST API: payouts", () => {
  it("shows what is payable and withdrawable, takes payout details and requests", async () => {
    const db = database.db;
    const { as } = makeApp(database, config, clock);
    const pat = await makeUser(db);
    await deposit(db, config, pat, 2550n);
    const P = as(await tokenFor(db, clock, pat));

    let res = await P.get("/me/payouts");
    expect(res.status).toBe(200);
    const before = await expectDocumented(config, res, "GET", "/me/payouts");
    expect(before).toMatchObject({
      currency: "EUR",
      earnings: { payable: "0.00", minimum: "10.00", can_request: false },
      wallet: { balance: "25.50", committed: "0.00", withdrawable: "25.50" },
      details: null,
      payouts: [],
    });

    res = await P.post("/me/payouts", { source: "wallet" });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).code).toBe("no_payout_details");

    res = await P.put("/me/payout-details", { holder: "Pat", iban: "DE02 1203 0000 0000 2020 52" });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).code).toBe("invalid_iban");
    res = await P.put("/me/payout-details", { holder: "Pat", iban: "de02 1203 0000 0000 2020 51" });
    expect(res.status).toBe(200);
    expect(await expectDocumented(config, res, "PUT", "/me/payout-details")).toMatchObject({
      iban: "DE02120300000000202051",
      bic: null,
    });

    res = await P.post("/me/payouts", {});
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).code).toBe("not_payable");
    res = await P.post("/me/payouts", { source: "wallet", amount: "30.00" });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).code).toBe("not_payable");
    res = await P.post("/me/payouts", { source: "wallet", amount: "1.005" });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).code).toBe("invalid_amount");
    res = await P.post("/me/payouts", { source: "bank" });
    expect(res.status).toBe(422);

    res = await P.post("/me/payouts", { source: "wallet", amount: "5.50" });
    expect(res.status).toBe(201);
    const created = await expectDocumented(config, res, "POST", "/me/payouts");
    expect(created).toMatchObject({ source: "wallet", amount: "5.50", status: "requested" });
    res = await P.post("/me/payouts", { source: "wallet" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).code).toBe("payout_open");

    const after = await expectDocumented(config, await P.get("/me/payouts"), "GET", "/me/payouts");
    expect(after.payouts.map((p: any) => p.id)).toEqual([created.id]);
    expect(await checkLedger(db)).toEqual([]);
  });
});
