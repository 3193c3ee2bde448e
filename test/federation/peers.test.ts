import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import {
  ensurePeerKnown,
  fetchPeerInfo,
  refreshStalePeers,
} from "../../src/federation/peer-info.ts";
import { findPeer, flattrMetadataOf, listPeers, speaksFlattr } from "../../src/peers/peers.ts";
import { freePort, startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";

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
