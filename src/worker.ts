import type { Federation } from "@fedify/fedify";
import type { Deps } from "./deps.ts";
import type { FederationData } from "./federation/federation.ts";

/** Background work: the federation queue (outbox deliveries, inbox processing) and schedules. */
export function startWorker(
  deps: Deps,
  federation: Federation<FederationData>,
): { stop(): Promise<void> } {
  const controller = new AbortController();
  const queue = federation.startQueue(deps, { signal: controller.signal });
  return {
    stop: async () => {
      controller.abort();
      await queue.catch(() => {});
    },
  };
}
