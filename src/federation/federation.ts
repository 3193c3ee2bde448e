import { type Context, createFederation, type Federation } from "@fedify/fedify";
import pkg from "../../package.json" with { type: "json" };
import type { Deps } from "../deps.ts";
import { registerActors } from "./actors.ts";
import { registerCollections } from "./collections.ts";
import { registerInbox } from "./inbox.ts";
import { guardInbox } from "./inbox-guard.ts";
import { DbKvStore } from "./kv-store.ts";
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
  // One scope for the KV store and all queues: inside withOutbox they all use its transaction.
  const scope = new TransactionScope();
  const federation = createFederation<FederationData>({
    kv: new DbKvStore(db, { clock: deps.clock, scope }),
    queue: {
      inbox: new DbMessageQueue(db, { channel: "inbox", scope }),
      outbox: new DbMessageQueue(db, { channel: "outbox", scope }),
      fanout: new DbMessageQueue(db, { channel: "fanout", scope }),
    },
    manuallyStartQueue: true,
    origin: deps.config.origin.href,
    // Tests and explicit dev setups only: lets Fedify talk to 127.0.0.1 and private networks.
    allowPrivateAddress: deps.config.allowPrivateAddress,
    userAgent: { software: `fediflattr/${pkg.version}`, url: deps.config.origin.href },
  });
  attachTransactionScope(federation, scope);
  registerActors(federation);
  registerCollections(federation);
  registerNodeInfo(federation);
  registerNotes(federation);
  registerPages(federation);
  registerInbox(federation);

  const fetch = federation.fetch.bind(federation);
  federation.fetch = async (request, options) =>
    webFingerBadRequest(request) ??
    (await guardInbox(federation, request, options.contextData)) ??
    fetch(request, options);
  return federation;
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
