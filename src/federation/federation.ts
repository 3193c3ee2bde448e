import {
  type Context,
  createFederation,
  type Federation,
  type GetUserAgentOptions,
} from "@fedify/fedify";
import pkg from "../../package.json" with { type: "json" };
import type { Deps } from "../deps.ts";
import { SETTLEMENT_LINES_PATH } from "../http/urls.ts";
import { BlockedHosts } from "../peers/blocked-hosts.ts";
import { isDomainBlocked } from "../peers/blocks.ts";
import { registerActors } from "./actors.ts";
import { registerCollections } from "./collections.ts";
import { skipBlockedDeliveries, skipBlockedSends } from "./delivery-filter.ts";
import { LikesAtOnce } from "./inbox/likes-at-once.ts";
import { settlementInbox, settlementLines } from "./inbox/settlement.ts";
import { registerInbox } from "./inbox.ts";
import { createInboxGuard } from "./inbox-guard.ts";
import { MemoryKeyCache } from "./key-cache.ts";
import { DbKvStore } from "./kv-store.ts";
import { likeDocument } from "./likes.ts";
import { cachedLoader, SignatureSpecMemory, signedLoader } from "./loaders.ts";
import { MemoryRateLimiter } from "./memory-rate-limit.ts";
import { DbMessageQueue, TransactionScope } from "./message-queue.ts";
import { registerNodeInfo } from "./nodeinfo.ts";
import { registerNotes } from "./notes.ts";
import { attachTransactionScope } from "./outbox.ts";
import { registerPages } from "./pages.ts";

/** Context data Fedify hands to every dispatcher and listener. */
export type FederationData = Deps;

/**
 * The Fedify federation of this instance: actors, WebFinger, NodeInfo, collections, inbox.
 * KV store and queues live in the database; the queues are the transactional outbox (see
 * `withOutbox` in outbox.ts) and are drained by the worker (src/worker.ts) only, never by a
 * web process: web processes enqueue, `NODE_TYPE=worker|all` processes deliver.
 */
export function buildFederation(deps: Deps): Federation<FederationData> {
  const db = deps.database.db;
  const config = deps.config;
  // One scope for the KV store and all queues: inside withOutbox they all use its transaction.
  const scope = new TransactionScope();
  const kv = new DbKvStore(db, { clock: deps.clock, scope });
  const loaderOptions = {
    // Tests and explicit dev setups only: lets Fedify talk to 127.0.0.1 and private networks.
    allowPrivateAddress: config.allowPrivateAddress,
    userAgent: { software: `fediflattr/${pkg.version}`, url: config.origin.href },
    maxBytes: config.fetchMaxBytes,
    // Through the open withOutbox transaction, if any (on PGlite the base db would wait forever).
    isBlocked: (host: string) => isDomainBlocked(scope.current() ?? db, host),
  };
  const documentLoader = cachedLoader(loaderOptions, kv);
  const specs = new SignatureSpecMemory();
  const concurrency = config.queueConcurrency;
  const federation = createFederation<FederationData>({
    kv,
    // Each message waits mostly on the database and the network, so a worker handles several
    // at once (QUEUE_CONCURRENCY); one at a time, inbound activities were processed at ~30/s.
    queue: {
      inbox: new DbMessageQueue(db, { channel: "inbox", scope, concurrency }),
      outbox: skipBlockedDeliveries(
        new DbMessageQueue(db, { channel: "outbox", scope, concurrency }),
        db,
      ),
      fanout: new DbMessageQueue(db, { channel: "fanout", scope, concurrency }),
    },
    manuallyStartQueue: true,
    origin: config.origin.href,
    // Size-capped loaders (loaders.ts) instead of Fedify's, which read any response whole.
    documentLoaderFactory: () => documentLoader,
    contextLoaderFactory: () => documentLoader,
    authenticatedDocumentLoaderFactory: (identity) => signedLoader(identity, loaderOptions, specs),
    // The inbox guard (inbox-guard.ts) verifies every inbox POST's signature before Fedify sees
    // it, and the fetch wrapper below hands Fedify no inbox POST the guard did not pass: Fedify
    // verifying it again would only double the cost.
    skipSignatureVerification: true,
  });
  // Fedify refuses these two options next to custom loader factories, but its WebFinger and
  // object look-ups read them from the federation: set them as the options would have.
  setLookupOptions(federation, loaderOptions);
  skipBlockedSends(federation, loaderOptions.isBlocked);
  attachTransactionScope(federation, scope);
  registerActors(federation);
  registerCollections(federation);
  registerNodeInfo(federation);
  registerNotes(federation);
  registerPages(federation);
  registerInbox(federation);

  const keyCache = new MemoryKeyCache();
  const verifyTools = { documentLoader, contextLoader: documentLoader, keyCache };
  const guard = createInboxGuard(federation, {
    documentLoader,
    contextLoader: documentLoader,
    keyCache,
    ipLimiter: new MemoryRateLimiter(config.inboxIpRateLimit, deps.clock),
    serverLimiter: new MemoryRateLimiter(config.inboxRateLimit, deps.clock),
    blockedHosts: new BlockedHosts(db, deps.clock),
  });
  const likesAtOnce = new LikesAtOnce(federation);
  const fetch = federation.fetch.bind(federation);
  federation.fetch = async (request, options) => {
    const early = webFingerBadRequest(request);
    if (early) return early;
    const like = await likeDocument(federation, request, options.contextData);
    if (like) return like;
    const lines =
      request.method === "GET" ? SETTLEMENT_LINES_PATH.exec(new URL(request.url).pathname) : null;
    if (lines) return settlementLines(request, options.contextData, verifyTools, Number(lines[1]));
    const guarded = await guard(request, options.contextData);
    if (guarded instanceof Response) return guarded;
    if (guarded) {
      const settlement = await settlementInbox(guarded, options.contextData, verifyTools);
      if (settlement) return settlement;
      const stored = await likesAtOnce.handle(guarded, options.contextData);
      if (stored) return stored;
    }
    return fetch(guarded ?? request, options);
  };
  return federation;
}

function setLookupOptions(
  federation: Federation<FederationData>,
  options: { allowPrivateAddress: boolean; userAgent: GetUserAgentOptions },
): void {
  const fields = federation as unknown as Record<string, unknown>;
  if (!("allowPrivateAddress" in fields) || !("userAgent" in fields)) {
    throw new Error("Fedify's federation no longer has allowPrivateAddress/userAgent fields");
  }
  fields.allowPrivateAddress = options.allowPrivateAddress;
  fields.userAgent = options.userAgent;
}

/** A Context for sending activities outside a request (domain functions, CLI, worker jobs). */
export function federationContext(
  federation: Federation<FederationData>,
  deps: Deps,
): Context<FederationData> {
  return federation.createContext(new URL(deps.config.origin.href), deps);
}

/** Fedify answers these in plain text; `/.well-known/` clients get JSON from us. */
function webFingerBadRequest(request: Request): Response | null {
  const url = new URL(request.url);
  if (url.pathname !== "/.well-known/webfinger") return null;
  const resource = url.searchParams.get("resource");
  if (resource === null || resource === "") {
    return Response.json({ error: "Missing resource parameter." }, { status: 400 });
  }
  if (!URL.canParse(resource)) {
    return Response.json({ error: "Invalid resource URL." }, { status: 400 });
  }
  return null;
}
