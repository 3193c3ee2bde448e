import type { Context, DocumentLoader, InboxContext } from "@fedify/fedify";
import { Like, type Undo } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { Db } from "../../db/client.ts";
import type { Result } from "../../errors.ts";
import {
  type IncomingError,
  type Received,
  receiveFlattr,
  receiveFlattrOfObject,
  recordFavourite,
  withdrawIncoming,
} from "../../flattr/incoming.ts";
import { localThingForObject } from "../../flattr/local-objects.ts";
import type { FederationData } from "../federation.ts";
import { dbOf } from "../outbox.ts";
import { ensurePeerKnown, PEER_MAX_AGE_MS } from "../peer-info.ts";
import { readFlattrExtension } from "../vocab/flattr-extension.ts";
import {
  knownPayerOf,
  PAYER_WAIT_MS,
  type Payer,
  payerOf,
  payerWithin,
  peerCheckedWithin,
} from "./payers.ts";

/*
 * Inbound `Like` and `Undo(Like)` (docs/PROTOCOL.md, "What a receiver must check"). The inbox
 * guard has already checked the HTTP signature and that id, actor and signer share one origin.
 * Thin: read, check the extension's schema, find our thing and the payer, then one domain door
 * (src/flattr/incoming.ts) decides. A refusal is logged with its reason and stores nothing.
 */

const logger = getLogger(["fediflattr", "federation", "inbox", "likes"]);

/** Embedded objects only: an `Undo` naming its `Like` by id alone is matched by id, not fetched. */
const noFetch: DocumentLoader = (url) => Promise.reject(new Error(`not fetched: ${url}`));

/** Inbox: a `Like` of one of our things is an incoming flattr (with the extension, from a peer) or a favourite. */
export async function onLike(ctx: InboxContext<FederationData>, like: Like): Promise<void> {
  const { config, clock } = ctx.data;
  const db = dbOf(ctx);
  const id = like.id?.href;
  if (!id || !like.actorId || !like.objectId) {
    logger.info("Refused a Like without id, actor or object ({id})", { id });
    return;
  }
  // The usual flattr (a known payer of a peer, for one of our posts) is one statement; anything
  // else, or anything that statement does not resolve, takes the long way below.
  const known = knownPayerOf(ctx.data, like);
  const quick = known
    ? await flattrInOneStatement(ctx.data, db, ctx.contextLoader, like, known)
    : null;
  if (quick?.handled) return;
  let reading = quick?.reading;
  const thingId = await localThingForObject(db, clock, config, like.objectId.href);
  if (thingId === null) {
    logger.debug("Like {id} is of {object}, not one of our things", {
      id,
      object: like.objectId.href,
    });
    return;
  }
  reading ??= await readFlattrExtension(await like.toJsonLd(), ctx.contextLoader);
  if (reading.kind === "invalid") {
    logger.warning("Refused Like {id}: malformed flattr extension: {reason}", {
      id,
      reason: reading.reason,
    });
    return;
  }
  const payer = await payerOf(ctx, like);
  if (reading.kind === "ok") {
    const peer = await ensurePeerKnown(ctx.data, payer.host);
    if (peer.speaksFlattr) {
      const result = await receiveFlattr(db, clock, config, {
        ...flattrFields(id, payer, reading.extension),
        thingId,
      });
      logFlattr(id, payer, result);
      return;
    }
    logger.info("Like {id} carries a flattr extension but {host} is not a peer: a favourite", {
      id,
      host: payer.host,
    });
  }
  const result = await recordFavourite(db, clock, { activityId: id, actor: payer, thingId });
  logger.debug("Favourite {id} from {actor}: {result}", { id, actor: payer.uri, result });
}

type ExtensionReading = Awaited<ReturnType<typeof readFlattrExtension>>;
type Extension = Extract<ExtensionReading, { kind: "ok" }>["extension"];

function flattrFields(id: string, payer: Payer, e: Extension) {
  return {
    activityId: id,
    payer: { id: payer.id, uri: payer.uri, host: payer.host },
    period: e.period,
    currency: e.currency,
    payerInstance: e.payerInstance.href,
    protocolVersion: e.protocolVersion,
  };
}

function logFlattr(id: string, payer: Payer, result: Result<Received, IncomingError>): void {
  if (!result.ok)
    logger.warning("Refused flattr {id} from {actor}: {code}: {reason}", {
      id,
      actor: payer.uri,
      code: result.error.code,
      reason: result.error.message,
    });
  else
    logger.info("Flattr {id} from {actor}: {result}", {
      id,
      actor: payer.uri,
      result: result.value,
    });
}

/**
 * `receiveFlattrOfObject` for a `Like` from a payer we hold: handled (stored, a duplicate, or
 * refused and logged), or not, with the extension's reading when it was read, for the long way.
 */
async function flattrInOneStatement(
  deps: FederationData,
  db: Db,
  contextLoader: DocumentLoader,
  like: Like,
  payer: Payer,
  recipient?: string,
  read?: ExtensionReading,
): Promise<{ handled: boolean; reading?: ExtensionReading }> {
  const { config, clock } = deps;
  const id = like.id!.href;
  const object = like.objectId!;
  if (!mayBeOurObject(config.origin, object)) return { handled: false };
  const reading = read ?? (await readFlattrExtension(await like.toJsonLd(), contextLoader));
  if (reading.kind !== "ok") return { handled: false, reading };
  const result = await receiveFlattrOfObject(
    db,
    clock,
    config,
    { ...flattrFields(id, payer, reading.extension), objectUri: object.href, recipient },
    PEER_MAX_AGE_MS,
  );
  if (result.ok && result.value === "unresolved") return { handled: false, reading };
  logFlattr(id, payer, result as Result<Received, IncomingError>);
  return { handled: true };
}

/** Whether the one statement may find a post or page of ours at `object` (else the long way). */
function mayBeOurObject(origin: URL, object: URL): boolean {
  return object.origin === origin.origin && object.search === "" && object.hash === "";
}

/**
 * In the web request, for a verified `Like` (the inbox guard passed it): stores it at once when
 * it is the usual flattr, as `onLike` would in the worker, and says whether it did. For a
 * flattr (the extension read) of something on our origin, a payer this process does not hold is
 * read, or fetched as the worker would (one fetch per actor that every concurrent request and
 * the worker wait for, ADR 0026), for at most PAYER_WAIT_MS. False
 * (queue it as ever) for anything else: a payer not fetched in time or not at all, an object,
 * peer or extension the one statement does not resolve.
 * docs/adr/0016-inbound-flattrs-stored-in-the-request.md.
 */
export async function storeFlattrAtOnce(
  ctx: Context<FederationData>,
  like: Like,
  /** The local user whose inbox it was posted to; undefined for the shared inbox. */
  recipient: string | undefined,
): Promise<boolean> {
  if (!like.id || !like.actorId || !like.objectId) return false;
  const deps = ctx.data;
  let payer = knownPayerOf(deps, like);
  let reading: ExtensionReading | undefined;
  if (!payer) {
    // Only a flattr of something of ours is worth a fetch here: a favourite (no extension) or
    // anything else takes the queue, where the worker fetches the payer as ever.
    if (!mayBeOurObject(deps.config.origin, like.objectId)) return false;
    reading = await readFlattrExtension(await like.toJsonLd(), ctx.contextLoader);
    if (reading.kind !== "ok") return false;
    // One wait of at most PAYER_WAIT_MS for both the payer and its server's peer check.
    const started = performance.now();
    payer = await payerWithin(ctx, like, PAYER_WAIT_MS);
    if (!payer) return false;
    const left = PAYER_WAIT_MS - (performance.now() - started);
    if (left > 0) await peerCheckedWithin(deps, payer.host, left);
  }
  const db = deps.database.db;
  return (await flattrInOneStatement(deps, db, ctx.contextLoader, like, payer, recipient, reading))
    .handled;
}

/**
 * Inbox: `Undo(Like)`. Returns whether it was ours: a `Like` we recorded (withdrawn now or
 * before), or an embedded `Like` we have not received yet (remembered, so it arrives withdrawn).
 */
export async function onUndoLike(ctx: InboxContext<FederationData>, undo: Undo): Promise<boolean> {
  if (!undo.id || !undo.actorId || !undo.objectId) return false;
  let embedded: unknown = null;
  try {
    embedded = await undo.getObject({ documentLoader: noFetch, contextLoader: ctx.contextLoader });
  } catch {}
  const isLike = embedded instanceof Like;
  if (embedded instanceof Like && embedded.actorId?.href !== undo.actorId.href) {
    logger.warning("Refused Undo {id}: it undoes a Like of another actor", { id: undo.id.href });
    return true;
  }
  const result = await withdrawIncoming(dbOf(ctx), ctx.data.clock, {
    likeActivityId: undo.objectId.href,
    undoActivityId: undo.id.href,
    actorUri: undo.actorId.href,
    remember: isLike,
  });
  if (result !== "unknown")
    logger.info("Undo {id} of Like {like}: {result}", {
      id: undo.id.href,
      like: undo.objectId.href,
      result,
    });
  return result !== "unknown";
}
