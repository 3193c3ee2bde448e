import { parseNodeInfo } from "@fedify/fedify";
import { validatePublicUrl } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import pkg from "../../package.json" with { type: "json" };
import type { Deps } from "../deps.ts";
import {
  findPeer,
  flattrMetadataOf,
  type Peer,
  type PeerInfo,
  peersDueForRefresh,
  recordPeerFailure,
  recordPeerInfo,
} from "../peers/peers.ts";
import type { PeerReader } from "../peers/peers-admin.ts";

/*
 * Reads other servers' NodeInfo to learn whether they are peers (src/peers/peers.ts). Fedify's
 * getNodeInfo() refuses private addresses even when ALLOW_PRIVATE_ADDRESS is set for local
 * two-instance setups, and reads bodies whole, so this is our own small client: public addresses
 * only (unless allowed), at most 3 redirects each re-checked, a size cap while reading, a timeout.
 */

const logger = getLogger(["fediflattr", "federation", "peers"]);

/** How long a server's NodeInfo is trusted before it is read again (the daily refresh). */
export const PEER_MAX_AGE_MS = 24 * 3600 * 1000;
const MAX_BYTES = 256 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

class NodeInfoError extends Error {}

async function getJson(url: URL, allowPrivate: boolean): Promise<unknown> {
  let current = url;
  for (let redirects = 0; ; redirects++) {
    if (current.protocol !== "https:" && current.protocol !== "http:")
      throw new NodeInfoError(`refused scheme ${current.protocol}`);
    if (!allowPrivate) await validatePublicUrl(current.href);
    const response = await fetch(current, {
      headers: {
        Accept: "application/json",
        "User-Agent": `fediflattr/${pkg.version}`,
      },
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (redirects >= MAX_REDIRECTS) throw new NodeInfoError("too many redirects");
      current = new URL(location, current);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new NodeInfoError(`${current.href} answered ${response.status}`);
    }
    return JSON.parse(await readCapped(response));
  }
}

async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BYTES) {
      await reader.cancel();
      throw new NodeInfoError(`NodeInfo larger than ${MAX_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The NodeInfo of the server at `host` (its /.well-known/nodeinfo link to 2.0 or 2.1). */
export async function fetchPeerInfo(
  host: string,
  options: { allowPrivateAddress: boolean; scheme?: "https" | "http" },
): Promise<PeerInfo> {
  const scheme = options.scheme ?? "https";
  const wellKnown = new URL(`${scheme}://${host}/.well-known/nodeinfo`);
  const rd = (await getJson(wellKnown, options.allowPrivateAddress)) as {
    links?: { rel?: unknown; href?: unknown }[];
  };
  const link = (Array.isArray(rd?.links) ? rd.links : []).find(
    (l) =>
      typeof l?.href === "string" &&
      (l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1" ||
        l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.0"),
  );
  if (!link) throw new NodeInfoError(`${wellKnown.href} links no NodeInfo 2.x document`);
  const raw = await getJson(new URL(link.href as string, wellKnown), options.allowPrivateAddress);
  const parsed = parseNodeInfo(raw, { tryBestEffort: true });
  return {
    software: parsed?.software.name ?? null,
    version: parsed?.software.version ? String(parsed.software.version) : null,
    flattr: flattrMetadataOf((raw as { metadata?: unknown } | null)?.metadata),
  };
}

/**
 * Reads `host`'s NodeInfo now and records it (or the failure). The scheme is that of the URL we
 * met the server by (`http` only happens on loopback test setups).
 */
export async function refreshPeer(
  deps: Deps,
  host: string,
  scheme: "https" | "http" = "https",
): Promise<Peer> {
  const { config, clock } = deps;
  const db = deps.database.db;
  try {
    const info = await fetchPeerInfo(host, {
      allowPrivateAddress: config.allowPrivateAddress,
      scheme,
    });
    return await recordPeerInfo(db, clock, config, host, info);
  } catch (error) {
    // Node's fetch says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND…) is what helps.
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    const message =
      (error instanceof Error ? error.message : String(error)) +
      (typeof cause === "string" ? ` (${cause})` : "");
    logger.info("NodeInfo of {host} could not be read: {message}", { host, message });
    return recordPeerFailure(db, clock, host, message);
  }
}

/**
 * What we know of `host`, read now if we never checked it or the check is older than `maxAgeMs`.
 * The inbox and the resolver ask this before deciding whether a creator is a peer's.
 */
export async function ensurePeerKnown(
  deps: Deps,
  host: string,
  options: { scheme?: "https" | "http"; maxAgeMs?: number } = {},
): Promise<Peer> {
  const known = await findPeer(deps.database.db, host);
  const maxAge = options.maxAgeMs ?? PEER_MAX_AGE_MS;
  if (known?.checkedAt && deps.clock.now().getTime() - known.checkedAt.getTime() <= maxAge)
    return known;
  return refreshPeer(deps, host, options.scheme ?? schemeFor(deps));
}

/** The peers admin's PeerReader (src/peers/peers-admin.ts): refreshPeer in this instance's scheme. */
export function nodeInfoPeerReader(deps: Deps): PeerReader {
  return { readNow: (host) => refreshPeer(deps, host, schemeFor(deps)) };
}

/** Test and dev setups federate over http on loopback; everything else is https. */
export function schemeFor(deps: Deps): "https" | "http" {
  return deps.config.allowPrivateAddress && deps.config.origin.protocol === "http:"
    ? "http"
    : "https";
}

/** Re-reads every server whose last check is over a day old; the worker runs it hourly. */
export async function refreshStalePeers(deps: Deps): Promise<number> {
  const hosts = await peersDueForRefresh(deps.database.db, deps.clock.now(), PEER_MAX_AGE_MS);
  for (const host of hosts) await refreshPeer(deps, host, schemeFor(deps));
  return hosts.length;
}

/**
 * Hourly, in the worker: refreshStalePeers, then `after` (the settlement's instance inboxes);
 * failures are logged, never fatal.
 */
export function startPeerRefresh(
  deps: Deps,
  intervalMs = 3600_000,
  after: () => Promise<unknown> = async () => {},
): { stop(): void } {
  const run = () =>
    refreshStalePeers(deps)
      .then(after)
      .catch((error) => logger.error("Refreshing peers failed: {error}", { error }));
  const timer = setInterval(run, intervalMs);
  timer.unref();
  void run();
  return { stop: () => clearInterval(timer) };
}
