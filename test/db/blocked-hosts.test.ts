import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Clock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { blockDomain } from "../../src/flattr/domain-blocks.ts";
import { BlockedHosts } from "../../src/peers/blocked-hosts.ts";
import { isDomainBlocked, unblockDomain } from "../../src/peers/blocks.ts";
import { createTestDatabase } from "../helpers/db.ts";

// The inbox guard's in-memory copy of blocked_domains: it must answer as isDomainBlocked does,
// and follow every change, made by this process's doors or by another process (the CLI).
let database: Database;
let now = new Date("2026-05-15T12:00:00Z");
const clock: Clock = { now: () => now };
const own = testConfig({ ORIGIN: "https://flattr.example.net" }).origin;
let blocked: BlockedHosts;

beforeAll(async () => {
  database = await createTestDatabase();
  blocked = new BlockedHosts(database.db, clock);
});
afterAll(async () => {
  await blocked?.stop();
  await database?.close();
});

describe("blocked servers held in memory", () => {
  it("answers as the database does: subdomains and every port, nothing else", async () => {
    const db = database.db;
    expect((await blockDomain(db, clock, own, "bad.example:8443", "spam")).ok).toBe(true);
    expect((await blockDomain(db, clock, own, "[::2]", "spam")).ok).toBe(true);
    const hosts = [
      "bad.example",
      "BAD.example",
      "bad.example:443",
      "a.b.bad.example",
      "notbad.example",
      "bad.example.org",
      "example",
      "[::2]:8080",
      "[::3]",
    ];
    for (const host of hosts) {
      expect({ host, blocked: await blocked.isBlocked(host) }).toEqual({
        host,
        blocked: await isDomainBlocked(db, host),
      });
    }
    expect(await blocked.isBlocked("a.b.bad.example")).toBe(true);
    expect(await blocked.isBlocked("notbad.example")).toBe(false);
  });

  it("a block or unblock through the doors of this process counts at once", async () => {
    const db = database.db;
    expect(await blocked.isBlocked("now.example")).toBe(false);
    expect((await blockDomain(db, clock, own, "now.example")).ok).toBe(true);
    expect(await blocked.isBlocked("x.now.example")).toBe(true);
    expect((await unblockDomain(db, "now.example")).ok).toBe(true);
    expect(await blocked.isBlocked("x.now.example")).toBe(false);
  });

  it("a change made elsewhere (another process's statement) counts once the database announces it", async () => {
    const db = database.db;
    expect(await blocked.isBlocked("elsewhere.example")).toBe(false);
    // Straight into the table, as another process would: only the trigger's NOTIFY tells us.
    await db.execute(
      sql`insert into blocked_domains (host, reason, created_at)
          values ('elsewhere.example', '', now())`,
    );
    await vi.waitFor(async () => expect(await blocked.isBlocked("elsewhere.example")).toBe(true), {
      timeout: 10_000,
    });
    await db.execute(sql`delete from blocked_domains where host = 'elsewhere.example'`);
    await vi.waitFor(async () => expect(await blocked.isBlocked("elsewhere.example")).toBe(false), {
      timeout: 10_000,
    });
  });

  it("is read again after a while, should a notice have been lost", async () => {
    const db = database.db;
    expect(await blocked.isBlocked("lost.example")).toBe(false);
    // A change whose NOTIFY never comes (as while the LISTEN connection reconnects).
    await db.execute(sql`alter table blocked_domains disable trigger blocked_domains_notify`);
    try {
      await db.execute(
        sql`insert into blocked_domains (host, reason, created_at)
            values ('lost.example', '', now())`,
      );
    } finally {
      await db.execute(sql`alter table blocked_domains enable trigger blocked_domains_notify`);
    }
    expect(await isDomainBlocked(db, "lost.example")).toBe(true);
    expect(await blocked.isBlocked("lost.example")).toBe(false);
    now = new Date(now.getTime() + 31_000);
    expect(await blocked.isBlocked("lost.example")).toBe(true);
  });
});
