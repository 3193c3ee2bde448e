import type { Context } from "@fedify/fedify";
import { isActor, type Like } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import {
  findRemoteActorByUri,
  isStale,
  type RemoteActor,
  upsertRemoteActor,
} from "../../social/remote-actors.ts";
import { INSTANCE_ACTOR } from "../actors.ts";
import type { FederationData } from "../federation.ts";
import { dbOf } from "../outbox.ts";
import { ensurePeerKnown, PEER_MAX_AGE_MS } from "../peer-info.ts";
import { remoteActorDataOf } from "../remote-actor-data.ts";

/*
 * Who sends inbound flattrs, as this process knows them: payers (remote actor rows) and their
 * servers' peer checks, held in memory per instance and fetched once however many deliveries
 * ask at the same time (the worker's and the web requests', ADR 0026).
 */

const logger = getLogger(["fediflattr", "federation", "inbox", "likes"]);

/** What a flattr needs of its payer: a remote actor row's key, never changed once stored. */
export type Payer = Pick<RemoteActor, "id" | "uri" | "host" | "fetchedAt">;

/**
 * Payers seen by this process, per instance (tests run several in one process): a peer's users
 * send many Likes, and the row's id, uri and host never change (rows are upserted by uri and
 * never deleted), so only staleness is judged again, as for the database's copy. Bounded: the
 * map starts over past MAX_PAYERS.
 */
const payerCache = new WeakMap<object, Map<string, Payer>>();
const MAX_PAYERS = 10_000;

/** This instance's map of `maps` (a new one on first use), started over past MAX_PAYERS. */
function mapOf<V>(maps: WeakMap<object, Map<string, V>>, deps: FederationData): Map<string, V> {
  let map = maps.get(deps);
  if (!map) {
    map = new Map();
    maps.set(deps, map);
  }
  if (map.size > MAX_PAYERS) map.clear();
  return map;
}

function remember(deps: FederationData, payer: Payer): Payer {
  const kept = { id: payer.id, uri: payer.uri, host: payer.host, fetchedAt: payer.fetchedAt };
  mapOf(payerCache, deps).set(payer.uri, kept);
  return kept;
}

/** The payer as this process knows it, without asking anyone; undefined when unknown or stale. */
export function knownPayerOf(deps: FederationData, like: Like): Payer | undefined {
  const known = mapOf(payerCache, deps).get(like.actorId!.href);
  return known && !isStale(known, deps.clock.now()) ? known : undefined;
}

/**
 * Payers being read or fetched now, per instance: a peer's first flattrs come together, and the
 * worker and the web requests (storeFlattrAtOnce) handle several at once; they wait for the one
 * fetch instead of each fetching (and signing a request for) the same actor document.
 */
const pendingPayers = new WeakMap<object, Map<string, Promise<Payer>>>();

/** The payer, cached or stored, fetched (signed by the instance actor) when unknown or stale. */
export async function payerOf(ctx: Context<FederationData>, like: Like): Promise<Payer> {
  const known = knownPayerOf(ctx.data, like);
  if (known) return known;
  const pending = mapOf(pendingPayers, ctx.data);
  const uri = like.actorId!.href;
  let payer = pending.get(uri);
  if (!payer) {
    payer = storedPayerOf(ctx, like)
      .then((stored) => remember(ctx.data, stored))
      .finally(() => pending.delete(uri));
    pending.set(uri, payer);
  }
  return payer;
}

async function storedPayerOf(ctx: Context<FederationData>, like: Like): Promise<RemoteActor> {
  const { clock } = ctx.data;
  const db = dbOf(ctx);
  const uri = like.actorId!.href;
  const cached = await findRemoteActorByUri(db, uri);
  if (cached && !isStale(cached, clock.now())) return cached;
  const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
  // Through a copy: getActor keeps the fetched actor in the object it is called on, after which
  // that Like serialises without the payment extension it was received with (the extension is
  // read from it later, and other requests for this payer share this fetch).
  const actor = await like.clone().getActor({ documentLoader, contextLoader: ctx.contextLoader });
  if (!isActor(actor) || actor.id?.href !== uri) {
    if (cached) return cached;
    // Thrown, so the inbox queue retries: the sender has its 202 already.
    throw new Error(`the actor of ${like.id?.href} could not be fetched`);
  }
  return upsertRemoteActor(db, clock, await remoteActorDataOf(actor));
}

/** How long a request waits for its payer's one fetch before queueing the flattr instead. */
export const PAYER_WAIT_MS = 3_000;

/** `payerOf`, or undefined when it fails or takes longer than `ms` (the fetch goes on). */
export async function payerWithin(
  ctx: Context<FederationData>,
  like: Like,
  ms: number,
): Promise<Payer | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  const payer = payerOf(ctx, like).catch((error) => {
    logger.debug("The payer of {id} could not be had in the request: {error}", {
      id: like.id?.href,
      error,
    });
    return undefined;
  });
  try {
    return await Promise.race([payer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Servers whose peer check this process saw within PEER_MAX_AGE_MS (when it was made), per
 * instance. Only a hint to skip asking: the statement that stores a flattr checks the `peers`
 * row itself.
 */
const checkedPeers = new WeakMap<object, Map<string, number>>();
const pendingPeers = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Makes sure `host`'s peer check (its NodeInfo, read at most daily) is recent, as the worker's
 * long way does with `ensurePeerKnown`, waiting at most `ms` for it: a peer's first flattrs
 * otherwise all took the queue until the worker had read it.
 */
export async function peerCheckedWithin(deps: FederationData, host: string, ms: number) {
  const checked = mapOf(checkedPeers, deps);
  const at = checked.get(host);
  if (at !== undefined && deps.clock.now().getTime() - at <= PEER_MAX_AGE_MS) return;
  const pending = mapOf(pendingPeers, deps);
  let check = pending.get(host);
  if (!check) {
    check = ensurePeerKnown(deps, host)
      .then((peer) => {
        if (peer.checkedAt) checked.set(host, peer.checkedAt.getTime());
      })
      .catch((error) => logger.debug("Peer check of {host} failed: {error}", { host, error }))
      .finally(() => pending.delete(host));
    pending.set(host, check);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([check, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
