import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { admitPeer, admittedPeers, isAdmitted, suspendPeer } from "../../src/peers/admission.ts";
import { recordBlock } from "../../src/peers/blocks.ts";
import { findPeer, peersDueForRefresh, recordPeerInfo } from "../../src/peers/peers.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

// Admitted peers (issue 10 point 1): the door, the CLI and the admin page.

let database: Database;
const clock = fixedClock("2026-05-15T12:00:00Z");
const config = testConfig({ ORIGIN: "http://flattr.example.net" });
const cli = (args: string[]) => runCliWith(args, { deps: { config, database, clock } });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe("admitting and suspending peers", () => {
  it("admits a host not met yet, with a credit limit; suspends; admits again", async () => {
    const db = database.db;
    expect(await isAdmitted(db, "ahead.example")).toBe(false);
    const r = await admitPeer(db, clock, config, "Ahead.EXAMPLE", { creditLimit: "50.00" });
    expect(r.ok && r.value).toMatchObject({
      host: "ahead.example",
      creditLimit: 5000n,
      firstSeen: null,
      checkedAt: null,
      suspendedAt: null,
    });
    expect(await isAdmitted(db, "ahead.example")).toBe(true);
    // Never read: the daily refresh reads it first.
    expect(await peersDueForRefresh(db, clock.now(), 86_400_000)).toContain("ahead.example");
    // Meeting it later keeps the admission and sets first seen.
    await recordPeerInfo(db, clock, config, "ahead.example", {
      software: "fediflattr",
      version: "0.1.0",
      flattr: {
        protocolVersion: "1",
        currency: "EUR",
        feeBasisPoints: 0,
        timeZone: null,
        settlementDay: null,
      },
    });
    const met = await findPeer(db, "ahead.example");
    expect(met).toMatchObject({ speaksFlattr: true, creditLimit: 5000n });
    expect(met?.firstSeen).toEqual(clock.now());
    expect(met?.admittedAt).toEqual(clock.now());

    const s = await suspendPeer(db, clock, config, "ahead.example");
    expect(s.ok && s.value.suspendedAt).toEqual(clock.now());
    expect(await isAdmitted(db, "ahead.example")).toBe(false);
    expect((await admittedPeers(db)).map((p) => p.host)).not.toContain("ahead.example");

    // Admitting again lifts the suspension and keeps the limit when none is given.
    const again = await admitPeer(db, clock, config, "ahead.example");
    expect(again.ok && again.value).toMatchObject({ suspendedAt: null, creditLimit: 5000n });
    expect(await isAdmitted(db, "ahead.example")).toBe(true);
  });

  it("refuses what is not a host, itself, a blocked server, a bad limit, an unknown peer", async () => {
    const db = database.db;
    const codes = async (p: Promise<{ ok: boolean; error?: { code: string } }>) => {
      const r = await p;
      return r.ok ? "ok" : r.error?.code;
    };
    expect(await codes(admitPeer(db, clock, config, "a b"))).toBe("invalid_host");
    expect(await codes(admitPeer(db, clock, config, "flattr.example.net"))).toBe("own_server");
    await recordBlock(db, clock.now(), config.origin, "bad.example", "spam");
    expect(await codes(admitPeer(db, clock, config, "bad.example"))).toBe("domain_blocked");
    expect(await codes(admitPeer(db, clock, config, "x.example", { creditLimit: "-1" }))).toBe(
      "invalid_credit_limit",
    );
    expect(await codes(admitPeer(db, clock, config, "x.example", { creditLimit: "1.001" }))).toBe(
      "invalid_credit_limit",
    );
    expect(await findPeer(db, "x.example")).toBeNull();
    expect(await codes(suspendPeer(db, clock, config, "never.example"))).toBe("unknown_peer");
  });

  it("fediflattr peers admit / suspend", async () => {
    const admitted = await cli(["peers", "admit", "cli.example", "--credit-limit", "12.50"]);
    expect(admitted.code).toBe(0);
    expect(admitted.stderr).toContain("cli.example is admitted");
    expect(admitted.stdout).toMatch(/cli\.example\s+no\s.*\s-\s+yes\s+12\.50/);
    const list = await cli(["peers"]);
    expect(list.stdout).toMatch(/cli\.example\s+no\s.*\s-\s+yes\s+12\.50/);
    const suspended = await cli(["peers", "suspend", "cli.example"]);
    expect(suspended.code).toBe(0);
    expect(suspended.stdout).toMatch(/cli\.example\s+no\s.*\s-\s+suspended\s+12\.50/);
    expect((await cli(["peers", "suspend", "nope.example"])).code).toBe(1);
    expect((await cli(["peers", "admit"])).code).toBe(2);
    const bad = await cli(["peers", "admit", "cli.example", "--credit-limit", "lots"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("credit limit must be an amount");
  });

  it("/admin/peers admits and suspends, for admins only", async () => {
    const { user, as } = moneyApp(config, database, clock);
    const admin = await as(await user(undefined, { admin: true }));
    const someone = await as(await user());
    expect(
      (await someone.submit("/flattrs", "/admin/peers/admit", { host: "page.example" })).status,
    ).toBe(403);
    expect(await findPeer(database.db, "page.example")).toBeNull();

    const done = await admin.submit("/admin/peers", "/admin/peers/admit", {
      host: "page.example",
      credit_limit: "5",
    });
    expect(done.status).toBe(200);
    const html = await done.text();
    expect(textOf(html)).toContain("page.example is admitted (credit limit 5.00 EUR).");
    expect(html).toContain('data-testid="suspend"');
    expect(await isAdmitted(database.db, "page.example")).toBe(true);

    const bad = await admin.submit("/admin/peers", "/admin/peers/admit", {
      host: "page.example",
      credit_limit: "five",
    });
    expect(bad.status).toBe(422);

    const off = await admin.submit("/admin/peers", "/admin/peers/suspend", {
      host: "page.example",
    });
    expect(textOf(await off.text())).toContain("page.example is suspended.");
    expect(await isAdmitted(database.db, "page.example")).toBe(false);
  });
});
