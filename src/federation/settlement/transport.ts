import { type Context, type DocumentLoader, signRequest } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { admittedPeers } from "../../peers/admission.ts";
import { forgetInstanceInbox, type Peer, rememberInstanceInbox } from "../../peers/peers.ts";
import { INSTANCE_ACTOR } from "../actors.ts";
import type { FederationData } from "../federation.ts";
import { signJson } from "./proof.ts";

/*
 * How settlement traffic travels: straight from the worker, not through Fedify's queue, because
 * its delivery is driven by the summaries' states (sent again with backoff until answered).
 * POSTs carry the instance actor's HTTP signature (RSA, `#main-key`) and an FEP-8b32 proof by its
 * Ed25519 key; the lines collection is read with signed GETs.
 */

const AP = "application/activity+json";
const logger = getLogger(["fediflattr", "federation", "settlement"]);

async function instanceKeys(ctx: Context<FederationData>) {
  const pairs = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
  const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
  const ed = pairs.find((p) => p.privateKey.algorithm.name === "Ed25519");
  if (!rsa || !ed) throw new Error("the instance actor has no RSA or no Ed25519 key");
  return { rsa, ed };
}

/** Sends `doc` to `inbox`, proof and HTTP signature by our instance actor. Throws unless 2xx. */
export async function postSigned(
  ctx: Context<FederationData>,
  inbox: URL,
  doc: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const { rsa, ed } = await instanceKeys(ctx);
  const signed = await signJson(
    doc,
    ed.privateKey,
    ed.multikey.id ?? ed.keyId,
    ctx.contextLoader,
    ctx.data.clock.now(),
  );
  const request = await signRequest(
    new Request(inbox, {
      method: "POST",
      headers: { "content-type": AP, accept: AP },
      body: JSON.stringify(signed),
    }),
    rsa.privateKey,
    rsa.keyId,
  );
  const response = await fetch(request, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) {
    const text = (await response.text()).slice(0, 300);
    throw new Error(`${inbox.href} answered ${response.status}: ${text}`);
  }
  await response.body?.cancel();
  return signed;
}

/** A GET signed by our instance actor (the peer's lines collection answers only its peers). */
export async function getSigned(ctx: Context<FederationData>, url: URL): Promise<Response> {
  const { rsa } = await instanceKeys(ctx);
  const request = await signRequest(
    new Request(url, { headers: { accept: "application/json" } }),
    rsa.privateKey,
    rsa.keyId,
  );
  return fetch(request, { signal: AbortSignal.timeout(60_000) });
}

/** The inbox of a peer's instance actor (its shared inbox if it has one). */
export async function actorInbox(ctx: Context<FederationData>, actorUri: string): Promise<URL> {
  const documentLoader: DocumentLoader = await ctx.getDocumentLoader({
    identifier: INSTANCE_ACTOR,
  });
  const actor = await ctx.lookupObject(actorUri, { documentLoader });
  if (!isActor(actor) || actor.id?.href !== actorUri)
    throw new Error(`${actorUri} is not an actor we can read`);
  const inbox = actor.endpoints?.sharedInbox ?? actor.inboxId;
  if (!inbox || inbox.origin !== new URL(actorUri).origin)
    throw new Error(`${actorUri} has no inbox on its own origin`);
  return inbox;
}

/**
 * The inbox of a peer's instance actor: the one stored with the peer (a look-up's result), else
 * looked up now and stored. Looking the actor up cost a signed GET and its parse before every
 * summary and every answer (bench/README.md, "Third pass, sender side").
 */
export async function peerInbox(
  ctx: Context<FederationData>,
  peer: Pick<Peer, "host" | "instanceActor" | "instanceInbox">,
): Promise<URL> {
  const actor = peer.instanceActor;
  if (!actor) throw new Error(`${peer.host} names no instance actor in its NodeInfo`);
  // Stored only after actorInbox's checks; its origin is checked again all the same.
  if (peer.instanceInbox && URL.canParse(peer.instanceInbox)) {
    const stored = new URL(peer.instanceInbox);
    if (stored.origin === new URL(actor).origin) return stored;
  }
  const inbox = await actorInbox(ctx, actor);
  await rememberInstanceInbox(ctx.data.database.db, peer.host, actor, inbox.href);
  return inbox;
}

/**
 * postSigned to a peer's instance actor at peerInbox; when that fails, the stored inbox is
 * forgotten, so the next attempt (the callers retry with backoff) looks the actor up again.
 */
export async function postToPeer(
  ctx: Context<FederationData>,
  peer: Pick<Peer, "host" | "instanceActor" | "instanceInbox">,
  doc: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const inbox = await peerInbox(ctx, peer);
  try {
    return await postSigned(ctx, inbox, doc);
  } catch (error) {
    await forgetInstanceInbox(ctx.data.database.db, peer.host, inbox.href);
    throw error;
  }
}

/**
 * Looks up and stores the instance inbox of every admitted peer that has none yet (the worker's
 * peer refresh runs it), so that a summary's POST or an answer does not wait for the look-up
 * (nor, on a new instance, for our instance actor's and the peer's first keys). Returns how many
 * were stored; a failure is logged and tried again at the next refresh.
 */
export async function learnPeerInboxes(ctx: Context<FederationData>): Promise<number> {
  let learned = 0;
  for (const peer of await admittedPeers(ctx.data.database.db)) {
    if (!peer.instanceActor || peer.instanceInbox) continue;
    try {
      await peerInbox(ctx, peer);
      learned++;
    } catch (error) {
      logger.info("The instance inbox of {peer} could not be looked up: {error}", {
        peer: peer.host,
        error,
      });
    }
  }
  return learned;
}
