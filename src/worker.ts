import type { Federation } from "@fedify/fedify";
import type { Deps } from "./deps.ts";
import { announceClaims } from "./federation/claims.ts";
import { type FederationData, federationContext } from "./federation/federation.ts";
import { startPeerRefresh } from "./federation/peer-info.ts";
import { sendPledgeNotices } from "./federation/pledge-notices.ts";
import { startRelay } from "./federation/relay.ts";
import { learnPeerInboxes } from "./federation/settlement/transport.ts";
import { startSettlement } from "./federation/settlement/worker.ts";
import { startSubscriptionRuns } from "./flattr/subscription-schedule.ts";
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
  // Each subscription's month is flattred at its start, exactly once across workers.
  const subscriptionRuns = startSubscriptionRuns(deps);
  // Which servers are peers (NodeInfo metadata.flattr) is re-read daily; admitted peers' instance
  // inboxes are looked up once, ahead of the first summary or answer to them.
  const peerRefresh = startPeerRefresh(deps, undefined, () =>
    learnPeerInboxes(federationContext(federation, deps)),
  );
  // Held shares return to payers when their hold ends; won claims take held shares.
  const pledges = startPledgeSchedule(
    deps,
    [() => announceClaims(federation, deps), () => sendPledgeNotices(federation, deps)],
    5 * 60_000,
  );
  // Settlement summaries: built after a close, delivered and answered by their states.
  const settlement = startSettlement(federation, deps);
  return {
    stop: async () => {
      await relay.stop();
      controller.abort();
      housekeeping.stop();
      peerRefresh.stop();
      await autoClose.stop();
      await pledges.stop();
      await settlement.stop();
      await subscriptionRuns.stop();
      await queue.catch(() => {});
    },
  };
}
