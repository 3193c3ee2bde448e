// Edges of settlement (issue 10 points 2, 3 and the small fixes): what the command line says to
// arguments that are not what they should be, summaries from peers that are not admitted, and
// Likes a summary names that never arrived here. The wire is tested with real instances in
// test/federation/settlement-edges.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";

const A = "a.example";
const B = "b.example";
const configA: Config = testConfig({ ORIGIN: `https://${A}`, FEE_BP: "0" });
let dbA: Database;
const after = fixedClock("2027-04-03T12:00:00Z");

beforeAll(async () => {
  dbA = await createTestDatabase();
});
afterAll(async () => {
  await dbA?.close();
});

describe("settlement and clearing arguments", () => {
  const cliA = (args: string[]) =>
    runCliWith(args, { deps: { config: configA, database: dbA, clock: after } });

  it("settlements withdraw says a period or a host is invalid, not that there is no summary", async () => {
    for (const period of ["2026-13", "2026-00", "26-03", "0000-01", "march"]) {
      const r = await cliA(["settlements", "withdraw", B, period]);
      expect(r.code, period).toBe(1);
      expect(r.stderr, period).toContain(`Not a period: "${period}"`);
      expect(r.stderr, period).not.toContain("No summary");
    }
    const host = await cliA(["settlements", "withdraw", "not a host", "2027-03"]);
    expect(host.code).toBe(1);
    expect(host.stderr).toContain('Not a server name: "not a host"');
    // A well-formed period with nothing sent: now "No summary" is the truth.
    const none = await cliA(["settlements", "withdraw", `HTTPS://${B.toUpperCase()}/`, "2027-03"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`No summary to ${B} for 2027-03.`);
  });

  it("settlements <peer> and clearing record refuse what is not a host or an amount", async () => {
    const list = await cliA(["settlements", "no/such host"]);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("Not a server name");
    const rec = (peer: string, amount: string, reference = "R-1") =>
      cliA(["clearing", "record", peer, amount, "--reference", reference, "--direction", "sent"]);
    expect((await rec("not a host", "1.00")).stderr).toContain("Not a server name");
    expect((await rec(B, "ten")).stderr).toContain("positive amount");
    expect((await rec(B, "1.001")).stderr).toContain("positive amount");
    expect((await rec(B, "0")).stderr).toContain("positive amount");
    expect((await rec(B, "1.00", " ")).stderr).toContain("reference");
    expect((await cliA(["clearing"])).stderr).toContain("nothing settled yet");
  });
});
