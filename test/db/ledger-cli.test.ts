// `fediflattr deposit` and `fediflattr ledger check`, through the CLI's runner in this process,
// given a test database (PGlite in memory, or PostgreSQL with TEST_DATABASE_URL).
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { transferReference } from "../../src/ledger/index.ts";
import { runCliInProcess, runCliWith } from "../helpers/cli.ts";
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

/** With a config of its own: `env` on top of the test config. */
async function cliWith(env: Record<string, string>, ...argv: string[]) {
  const { code, stdout, stderr } = await runCliWith(argv, {
    deps: { config: testConfig({ CURRENCY: "EUR", ...env }), database },
  });
  return { code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() };
}

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
      /^The bank reference TX-1001 was already recorded for €25\.00 to @alice \(entry #\d+\)\. Nothing was recorded/,
    );
  });

  it("explains bad input", async () => {
    const unknown = await cli("deposit", "bob", "5", "--reference", "TX-2000");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'There is no user with the username or transfer reference "bob": check the reference on the bank statement. Nothing was recorded.',
    );
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

// After the ledger check's tests: these add entries the check's exact counts do not expect.
describe("fediflattr deposit, like the admin page", () => {
  it("takes a transfer reference as well as a username, and compares references normalised", async () => {
    const reference = transferReference(1); // alice, the first user
    const r = await cli("deposit", reference.toLowerCase(), "1.00", "--reference", "NORM-1");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Recorded €1\.00 to @alice with reference NORM-1 /);
    const replay = await cli("deposit", "alice", "1", "--reference", "norm - 1");
    expect(replay.stdout).toMatch(
      /^Already recorded: €1\.00 to @alice with reference NORM-1 .*Nothing changed;/,
    );
  });

  it("needs --confirm-large above DEPOSIT_CONFIRM_ABOVE, and writes nothing without it", async () => {
    const env = { DEPOSIT_CONFIRM_ABOVE: "100.00" };
    const args = ["deposit", "alice", "100.01", "--reference", "LARGE-1"];
    const refused = await cliWith(env, ...args);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trimEnd()).toBe(
      "€100.01 is more than €100.00, above which a deposit must be confirmed: check the amount " +
        "on the bank statement and confirm it. Nothing was recorded. Add --confirm-large to record it.",
    );
    expect(refused.stdout).toBe("");
    // Recorded now, not before: the refusal wrote nothing.
    const confirmed = await cliWith(env, ...args, "--confirm-large");
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(/^Recorded €100\.01 to @alice with reference LARGE-1 /);
    // At the cap, no confirmation is needed.
    const atCap = await cliWith(env, "deposit", "alice", "100", "--reference", "LARGE-2");
    expect(atCap.code).toBe(0);
    // A bad DEPOSIT_CONFIRM_ABOVE is a configuration error naming the variable.
    const bad = await runCliInProcess(args, { DEPOSIT_CONFIRM_ABOVE: "lots" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("DEPOSIT_CONFIRM_ABOVE");
  });
});
