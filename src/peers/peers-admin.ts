import type { Deps } from "../deps.ts";
import { ok, type Result, refused } from "../errors.ts";
import { isDomainBlocked } from "./blocks.ts";
import { PeerError } from "./errors.ts";
import { parseHost } from "./host.ts";
import type { Peer } from "./peers.ts";

/*
 * What an administrator does with peers beyond looking at them (listPeers): read one server's
 * NodeInfo now instead of waiting for the daily refresh. Reading is I/O, so it comes through a
 * port: the federation adapter's NodeInfo client (src/federation/peer-info.ts), handed to the
 * pages by the composition root and to the CLI through src/server.ts.
 */

/** Reads a server's NodeInfo now and records what it said, or the failure (in lastError). */
export interface PeerReader {
  readNow(host: string): Promise<Peer>;
}

/**
 * Re-reads one server now (`fediflattr peers refresh`, /admin/peers), given as typed
 * (`example.org`, `https://example.org/`, `127.0.0.1:8081`). Refuses what is not a host, our own
 * origin and blocked servers; whether the read worked is the peer's `lastError` (null: it did).
 */
export async function refreshPeerNow(
  deps: Deps,
  reader: PeerReader,
  input: string,
): Promise<Result<Peer, PeerError>> {
  const raw = input.trim();
  // A bare host has no path, query or user; a URL may (only its host counts).
  const host = /[/?#@\s]/.test(raw) && !/^https?:\/\//i.test(raw) ? null : parseHost(raw);
  if (host === null)
    return refused(new PeerError("invalid_host", `Not a server name: "${raw.slice(0, 100)}".`));
  if (host === deps.config.origin.host)
    return refused(new PeerError("own_server", `${host} is this instance itself.`));
  if (await isDomainBlocked(deps.database.db, host))
    return refused(
      new PeerError("domain_blocked", `${host} is blocked here; nothing is read from it.`),
    );
  return ok(await reader.readNow(host));
}
