// `fediflattr deposit` and `fediflattr ledger check`, through the CLI's runner in this process,
// given a test database (PGlite in memory, or PostgreSQL with TEST_DATABASE_URL).
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { transferReference } from "../../src/ledger/index.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
const config = testConfig({ CURRENCY: "EUR" });

beforeAll(async () => {
  database = await createTestDatabase();
  await cli(
    "user",
    "create",
    "alice",
    "--email",
    "alice@example.org",
    "--password",
    "correct horse battery staple",
  );
});
afterAll(() => database?.close());

async function cli(...argv: string[]) {
  const { code, stdout, stderr } = await runCliWith(argv, { deps: { config, database } });
  return { code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() };
}

describe("fediflattr deposit", () => {
  it("records a transfer once and says so when it is recorded again", async () => {
    const first = await cli("deposit", "alice", "25.00", "--reference", "TX-1001");
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(
      /^Recorded €25\.00 to @alice with reference TX-1001 \(entry #\d+\)\. Wallet balance now €25\.00\.$/,
    );
    const again = await cli("deposit", "Alice", "25", "--reference", "tx-1001");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /^Already recorded: €25\.00 to @alice with reference TX-1001 .*Nothing changed; wallet balance €25\.00\.$/,
    );
    expect((await cli("deposit", "alice", "0.71", "--reference", "TX-1002")).stdout).toContain(
      "Wallet balance now €25.71.",
    );
  });

  it("refuses the same reference with other data, naming what it was", async () => {
    const r = await cli("deposit", "alice", "30.00", "--reference", "TX-1001");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Reference TX-1001 was already recorded for €25\.00 to @alice \(entry #\d+\)\. Nothing was recorded\./,
    );
  });

  it("explains bad input", async () => {
    const unknown = await cli("deposit", "bob", "5", "--reference", "TX-2000");
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'No user named "bob". Nothing was recorded.',
    });
    for (const amount of ["5.001", "0", "5,00", "abc", "1e3", "0x10"]) {
      const r = await cli("deposit", "alice", amount, "--reference", "TX-2001");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `The amount must be a positive decimal in EUR such as 25 or 25.00, got "${amount}".`,
      );
    }
    // A negative amount looks like an option to the argument parser: refused as a usage error too.
    expect((await cli("deposit", "alice", "-5", "--reference", "TX-2001")).code).toBe(2);
    expect((await cli("deposit", "alice", "5")).stderr).toContain("--reference is required");
    const personal = await cli("deposit", "alice", "5", "--reference", transferReference(1));
    expect(personal.code).toBe(2);
    expect(personal.stderr).toContain("personal transfer reference");
    expect((await cli("deposit", "alice")).code).toBe(2);
  });
});

describe("fediflattr ledger check", () => {
  it("prints a one-line summary when the ledger is sound", async () => {
    const r = await cli("ledger", "check");
    expect(r).toEqual({
      code: 0,
      stdout: "ledger ok: 2 entries, 4 postings, 2 accounts",
      stderr: "",
    });
  });

  it("exits 1 naming each violation", async () => {
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(
        sql`update ledger_balances set balance = balance + 7 where account like 'wallet:%'`,
      );
    });
    const r = await cli("ledger", "check");
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      "ledger check FAILED: 2 violation(s) in 2 entries, 4 postings, 2 accounts",
      "  balance_mismatch: wallet:1 (EUR): stored balance 2578 but postings sum to 2571",
      "  currency_total: stored balances in EUR sum to 7, not zero",
    ]);
  });
});
