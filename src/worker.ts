import type { Federation } from "@fedify/fedify";
import type { Deps } from "./deps.ts";
import type { FederationData } from "./federation/federation.ts";
import { startPeerRefresh } from "./federation/peer-info.ts";
import { startRelay } from "./federation/relay.ts";
import { startHousekeeping } from "./housekeeping.ts";
import { startAutoClose } from "./settlement/auto-close.ts";
import { startPledgeSchedule } from "./settlement/pledge-schedule.ts";

/** Background work: the federation queue (outbox deliveries, inbox processing) and schedules. */
export function startWorker(
  deps: Deps,
  federation: Federation<FederationData>,
): { stop(): Promise<void> } {
  const controller = new AbortController();
  const queue = federation.startQueue(deps, { signal: controller.signal });
  // Flattrs of remote things become Likes and Undos: typed outbox events → the Fedify queue.
  const relay = startRelay(federation, deps);
  // Closes each period once it has ended plus CLOSE_GRACE_SECONDS; idempotent across workers.
  const autoClose = startAutoClose(deps);
  const housekeeping = startHousekeeping(deps);
  // Which servers are peers (NodeInfo metadata.flattr) is re-read daily.
  const peerRefresh = startPeerRefresh(deps);
  // Held shares return to payers when their hold ends; won claims take held shares.
  const pledges = startPledgeSchedule(deps);
  return {
    stop: async () => {
      await relay.stop();
      controller.abort();
      housekeeping.stop();
      peerRefresh.stop();
      await autoClose.stop();
      await pledges.stop();
      await queue.catch(() => {});
    },
  };
}
