import { getLogger } from "@logtape/logtape";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { ok, type Result, refused } from "../errors.ts";
import { noteBlocksChanged, recordBlock } from "../peers/blocks.ts";
import { PeerError } from "../peers/errors.ts";
import { withdrawFlattrsOnBlockedHost } from "./withdraw-blocked.ts";

const logger = getLogger(["fediflattr", "flattr", "domain-blocks"]);

export interface BlockResult {
  host: string;
  /** False when the host was blocked already (its reason is updated). */
  created: boolean;
  /** Flattrs of the open periods withdrawn because their creator is on the blocked server. */
  withdrawn: number;
}

/**
 * The door for blocking a server (admin page, CLI): it and its subdomains, on every port. From
 * now on its activities, look-ups and deliveries are refused (src/peers/blocks.ts
 * `isDomainBlocked`, asked where each happens), and in the same transaction the open periods'
 * flattrs of its creators' things are withdrawn (`withdrawn_reason` domain_blocked; the payers see
 * why). Blocking again updates the reason and withdraws what was flattred there since.
 * `ownOrigin`: this instance's origin, which cannot be blocked. It lives in flattr, not peers,
 * because it withdraws flattrs (peers may not import flattr: docs/ARCHITECTURE.md).
 */
export async function blockDomain(
  db: Db,
  clock: Clock,
  ownOrigin: URL,
  input: string,
  reason = "",
): Promise<Result<BlockResult, PeerError>> {
  const now = clock.now();
  try {
    const result = await db.transaction(async (tx) => {
      const { host, created } = await recordBlock(tx as Db, now, ownOrigin, input, reason);
      const withdrawn = await withdrawFlattrsOnBlockedHost(tx as Db, host, now);
      return { host, created, withdrawn };
    });
    noteBlocksChanged();
    logger.info("Blocked {host} ({withdrawn} flattrs withdrawn)", { ...result });
    return ok(result);
  } catch (e) {
    if (e instanceof PeerError) return refused(e);
    throw e;
  }
}
