import type { Federation } from "@fedify/fedify";
import { count } from "drizzle-orm";
import pkg from "../../package.json" with { type: "json" };
import type { Config } from "../config/config.ts";
import { instanceActorUrl } from "../config/urls.ts";
import { users } from "../db/schema/index.ts";
import { FLATTR_PROTOCOL_VERSION, MASTODON_API_VERSION } from "../peers/protocol.ts";
import type { FederationData } from "./federation.ts";

/** What a peer needs to know before it flattrs someone here (NodeInfo `metadata.flattr`). */
export function flattrMetadata(config: Config) {
  return {
    protocolVersion: FLATTR_PROTOCOL_VERSION,
    currency: config.currency,
    feeBasisPoints: config.feeBp,
    timeZone: config.timeZone,
    settlementDay: config.settlementDay,
    instanceActor: instanceActorUrl(config),
  };
}

/** NodeInfo 2.1 (Fedify serves `/.well-known/nodeinfo` pointing here). */
export function registerNodeInfo(federation: Federation<FederationData>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async (ctx) => {
    const { config, database } = ctx.data;
    const [row] = await database.db.select({ n: count() }).from(users);
    return {
      software: {
        name: "fediflattr",
        version: pkg.version,
      },
      protocols: ["activitypub"],
      openRegistrations: config.registration === "open",
      usage: { users: { total: row?.n ?? 0 }, localPosts: 0, localComments: 0 },
      metadata: {
        flattr: flattrMetadata(config),
        // Mastodon apps (megalodon's detector, Fedicat) pick the client API by this: ours is
        // Mastodon's (src/mastodon/).
        upstream: { name: "mastodon", version: MASTODON_API_VERSION },
      },
    };
  });
}
