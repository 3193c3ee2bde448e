import { createFederation, type Federation, MemoryKvStore } from "@fedify/fedify";
import type { Deps } from "../deps.ts";

/** Context data Fedify hands to every dispatcher and listener. */
export type FederationData = Deps;

// SKELETON: the federation helper replaces MemoryKvStore with our DB KvStore/MessageQueue
// and registers actors, inbox, NodeInfo.
export function buildFederation(deps: Deps): Federation<FederationData> {
  const federation = createFederation<FederationData>({
    kv: new MemoryKvStore(),
    origin: deps.config.origin.href,
    allowPrivateAddress: deps.config.allowPrivateAddress,
    manuallyStartQueue: true,
  });
  return federation;
}
