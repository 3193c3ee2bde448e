import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { balanceOf, checkLedger, walletAccount } from "../../src/ledger/index.ts";
import { setPayoutDetails } from "../../src/settlement/payout-details.ts";
import { requestPayout } from "../../src/settlement/payouts.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { readPain001 } from "../helpers/sepa-xml.ts";

let database: Database;
let dir: string;
beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), "ff-payouts-"));
});
afterAll(async () => {
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = testConfig({
  BANK_IBAN: "DE89370400440532013000",
  BANK_ACCOUNT_HOLDER: "Instance",
});
const clock = fixedClock("2026-12-06T10:00:00Z");
const cli = (...args: string[]) => runCliWith(args, { deps: { config, database, clock } });

describe("fediflattr payouts", () => {
  it("lists, approves, exports, marks paid and fails, as the admin page does", async () => {
    const db = database.db;
    const users = [await makeUser(db), await makeUser(db)];
    const ids: number[] = [];
    for (const [i, u] of users.entries()) {
      await deposit(db, config, u, 3000n);
      await setPayoutDetails(db, clock, u, { holder: `Person ${i}`, iban: "NL91ABNA0417164300" });
      const r = await requestPayout(db, clock, config, u, {
        source: "wallet",
        amount: 1000n + BigInt(i),
      });
      if (!r.ok) throw r.error;
      ids.push(r.value.id);
    }
    let run = await cli("payouts", "list", "--status", "requested");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("€10.01");
    expect((await cli("payouts", "approve")).code).toBe(2);
    expect((await cli("payouts", "list", "--status", "nope")).code).toBe(2);

    run = await cli("payouts", "approve", "--all");
    expect(run.code).toBe(0);
    const batch = /Batch #(\d+)/.exec(run.stdout)?.[1];
    expect(batch).toBeDefined();
    expect(run.stdout).toContain("€20.01 reserved");
    expect(await balanceOf(db, walletAccount(users[0]!), "EUR")).toBe(2000n);

    const out = join(dir, "batch.xml");
    run = await cli("payouts", "export", batch!, "--output", out);
    expect(run.code).toBe(0);
    const file = readPain001(readFileSync(out, "utf8"));
    expect(file).toMatchObject({ count: 2, controlSum: "20.01" });
    expect(file.transfers.map((t) => t.iban)).toEqual(["NL91ABNA0417164300", "NL91ABNA0417164300"]);
    const csv = join(dir, "batch.csv");
    expect((await cli("payouts", "export", batch!, "--format", "csv", "--output", csv)).code).toBe(
      0,
    );
    expect(readFileSync(csv, "utf8").split("\r\n")).toHaveLength(4);

    run = await cli("payouts", "fail", String(ids[1]), "--reason", "account closed");
    expect(run.code).toBe(0);
    expect(await balanceOf(db, walletAccount(users[1]!), "EUR")).toBe(3000n);
    run = await cli("payouts", "mark-paid", batch!);
    expect(run.stdout).toContain("1 payout(s) paid, €10.00");
    run = await cli("payouts", "fail", String(ids[0]));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("paid");
    expect((await cli("payouts", "mark-paid", "999")).code).toBe(1);
    expect(await checkLedger(db)).toEqual([]);
  });
});
