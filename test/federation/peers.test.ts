import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../src/accounts/sessions.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { blockedDomains, users } from "../../src/db/schema/index.ts";
import {
  ensurePeerKnown,
  fetchPeerInfo,
  refreshStalePeers,
} from "../../src/federation/peer-info.ts";
import { findPeer, flattrMetadataOf, listPeers, speaksFlattr } from "../../src/peers/peers.ts";
import { cookieNames } from "../../src/web/session.ts";
import { runCliWith } from "../helpers/cli.ts";
import { freePort, startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { textOf } from "../helpers/money-pages.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { WebClient } from "../helpers/web-client.ts";
import { insertUser } from "./support.ts";

// Which servers are peers, read from their NodeInfo over loopback HTTP.
let ours: TestInstance;
let peer: TestInstance;
let dollars: TestInstance;
let plain: PlainFedify;

beforeAll(async () => {
  [ours, peer, dollars, plain] = await Promise.all([
    startTestInstance(),
    startTestInstance(),
    startTestInstance({ CURRENCY: "USD" }),
    startPlainFedify(),
  ]);
});
afterAll(async () => {
  await Promise.all([ours?.stop(), peer?.stop(), dollars?.stop(), plain?.stop()]);
});

const hostOf = (origin: string) => new URL(origin).host;

describe("peers", () => {
  it("a Fediflattr instance in our currency is a peer; another currency or Mastodon is not", async () => {
    const p = await ensurePeerKnown(ours.deps, hostOf(peer.origin));
    expect(p).toMatchObject({
      software: "fediflattr",
      protocolVersion: "1",
      currency: "EUR",
      feeBp: 0,
      speaksFlattr: true,
      lastError: null,
    });
    const usd = await ensurePeerKnown(ours.deps, hostOf(dollars.origin));
    expect(usd).toMatchObject({ currency: "USD", speaksFlattr: false });
    const mastodon = await ensurePeerKnown(ours.deps, plain.host);
    expect(mastodon).toMatchObject({
      software: "mastodon",
      protocolVersion: null,
      speaksFlattr: false,
    });
    expect((await listPeers(ours.deps.database.db))[0]?.host).toBe(hostOf(peer.origin));
  });

  it("records a server that cannot be read, and keeps what was known before", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const row = await ensurePeerKnown(ours.deps, dead);
    expect(row.speaksFlattr).toBe(false);
    expect(row.lastError).toBeTruthy();
    expect(row.lastSeen).toBeNull();

    // A known peer that goes down stays a peer until it says otherwise.
    const host = hostOf(peer.origin);
    const later = { ...ours.deps, clock: fixedClock(new Date(Date.now() + 2 * 86400_000)) };
    const stopped = await startTestInstance();
    const stoppedHost = hostOf(stopped.origin);
    expect((await ensurePeerKnown(ours.deps, stoppedHost)).speaksFlattr).toBe(true);
    await stopped.stop();
    expect(await refreshStalePeers(later)).toBeGreaterThanOrEqual(4);
    const after = await findPeer(ours.deps.database.db, stoppedHost);
    expect(after).toMatchObject({ speaksFlattr: true });
    expect(after?.lastError).toBeTruthy();
    expect((await findPeer(ours.deps.database.db, host))?.lastError).toBeNull();
  });

  it("refuses private addresses unless allowed", async () => {
    await expect(
      fetchPeerInfo(hostOf(peer.origin), { allowPrivateAddress: false, scheme: "http" }),
    ).rejects.toThrow();
  });
});

describe("metadata.flattr", () => {
  it("is read leniently: anything malformed is no peer, not an error", () => {
    expect(flattrMetadataOf(null)).toBeNull();
    expect(flattrMetadataOf({ flattr: "yes" })).toBeNull();
    expect(flattrMetadataOf({ flattr: { protocolVersion: "1", currency: "eur" } })).toBeNull();
    expect(
      flattrMetadataOf({ flattr: { protocolVersion: "1", currency: "EUR", feeBasisPoints: -5 } }),
    ).toMatchObject({ protocolVersion: "1", currency: "EUR", feeBasisPoints: null });
    const info = (protocolVersion: string, currency: string) => ({
      software: "x",
      version: "1",
      flattr: { protocolVersion, currency, feeBasisPoints: 0, timeZone: null, settlementDay: null },
    });
    expect(speaksFlattr(info("1", "EUR"), { currency: "EUR" })).toBe(true);
    expect(speaksFlattr(info("2", "EUR"), { currency: "EUR" })).toBe(false);
    expect(speaksFlattr(info("1", "USD"), { currency: "EUR" })).toBe(false);
  });
});

describe("the peers admin: fediflattr peers and /admin/peers", () => {
  const cli = (args: string[]) => runCliWith(args, { deps: ours.deps });

  it("peers refresh reads one server now; peers lists them", async () => {
    const host = hostOf(peer.origin);
    const refreshed = await cli(["peers", "refresh", host]);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stderr).toContain(`${host} is a peer`);
    expect(refreshed.stdout).toMatch(new RegExp(`${host}\\s+yes\\s+fediflattr`));
    const mastodon = await cli(["peers", "refresh", `http://${plain.host}/`]);
    expect(mastodon.code).toBe(0);
    expect(mastodon.stderr).toContain("is not a peer");

    const list = await cli(["peers"]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^host\s+peer\s+software\s+protocol\s+currency\s+fee/);
    expect(lines.find((l) => l.startsWith(host))).toMatch(/yes\s+fediflattr \S+\s+1\s+EUR\s+0%/);
    expect(lines.find((l) => l.startsWith(plain.host))).toMatch(
      /no\s+mastodon 4\.3\.0\s+-\s+-\s+-/,
    );
  });

  it("refuses what is not a server, our own origin, a blocked server; reports a dead one", async () => {
    for (const [arg, words] of [
      ["not a host", "Not a server name"],
      [hostOf(ours.origin), "this instance itself"],
    ] as const) {
      const r = await cli(["peers", "refresh", arg]);
      expect(r.code, arg).toBe(1);
      expect(r.stderr).toContain(words);
    }
    const usage = await cli(["peers", "refresh"]);
    expect(usage.code).toBe(2);
    await ours.deps.database.db
      .insert(blockedDomains)
      .values({ host: "blocked.example", createdAt: new Date() });
    const blocked = await cli(["peers", "refresh", "blocked.example"]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain("blocked here");
    const dead = `127.0.0.1:${await freePort()}`;
    const down = await cli(["peers", "refresh", dead]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`Could not read the NodeInfo of ${dead}`);
  });

  it("/admin/peers is for administrators: the table, and a refresh button", async () => {
    const db = ours.deps.database.db;
    const admin = await insertUser(ours, "peeradmin");
    await db.update(users).set({ isAdmin: true }).where(eq(users.id, admin));
    const plainUser = await insertUser(ours, "peeruser");
    const as = async (id: number) => {
      const { token } = await createSession(db, ours.deps.clock, id);
      const client = new WebClient((r) => fetch(r), ours.origin);
      client.cookies.set(cookieNames(ours.deps.config).session, token);
      return client;
    };
    expect((await new WebClient((r) => fetch(r), ours.origin).get("/admin/peers")).status).toBe(
      303,
    );
    expect((await (await as(plainUser)).get("/admin/peers")).status).toBe(403);

    const client = await as(admin);
    const page = await client.get("/admin/peers");
    expect(page.status).toBe(200);
    const html = await page.text();
    const row = (host: string) =>
      textOf(new RegExp(`<tr data-host="${host}">[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "");
    expect(row(hostOf(peer.origin))).toMatch(/^\S+ fediflattr \S+ peer 1 EUR 0%/);
    expect(row(plain.host)).toMatch(/mastodon 4\.3\.0 not a peer - - -/);

    const refreshed = await client.submit("/admin/peers", "/admin/peers/refresh", {
      host: hostOf(dollars.origin),
    });
    expect(refreshed.status).toBe(200);
    expect(textOf(await refreshed.text())).toContain(
      `${hostOf(dollars.origin)} read just now: not a peer`,
    );
    const bad = await client.submit("/admin/peers", "/admin/peers/refresh", { host: "a b" });
    expect(bad.status).toBe(422);
  });
});
