import type { Context, DocumentLoader } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { isDomainBlocked } from "../peers/blocks.ts";
import {
  findRemoteActorByHandle,
  findRemoteActorByUri,
  isStale,
  type RemoteActor,
  upsertRemoteActor,
} from "../social/remote-actors.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import type { FederationData } from "./federation.ts";
import { dbOf } from "./outbox.ts";
import { remoteActorDataOf } from "./remote-actor-data.ts";
import { webFingerActor, webFingerOptionsFor } from "./webfinger.ts";

/*
 * Remote actors as the social features need them: from the cache (src/social/remote-actors.ts)
 * while fresh, else fetched with the instance actor's signed document loader (servers in secure
 * mode refuse unsigned fetches) and cached through the one adapter (./remote-actor-data.ts).
 */

const logger = getLogger(["fediflattr", "federation", "actors"]);

/** The instance actor's signed document loader. */
export function signedLoader(ctx: Context<FederationData>): Promise<DocumentLoader> {
  return ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
}

/** `user@host` of a handle query (`@user@host`, `acct:user@host`), or null if not a handle. */
function handleOf(query: string): string | null {
  const m = /^(?:acct:)?@?([^@\s/]+)@([^@\s/]+)$/i.exec(query.trim());
  return m ? `${m[1]}@${m[2]!.toLowerCase()}` : null;
}

/**
 * The remote actor a handle or actor URL names, cached or fetched now. Null for this instance's
 * own origin, for anything that is not an actor, and when the fetch fails (logged).
 */
export async function lookupRemoteActor(
  ctx: Context<FederationData>,
  query: string,
): Promise<RemoteActor | null> {
  const db = dbOf(ctx);
  const { clock, config } = ctx.data;
  const handle = handleOf(query);
  if (handle === null && !URL.canParse(query)) return null;
  const cached = handle
    ? await findRemoteActorByHandle(db, handle)
    : await findRemoteActorByUri(db, query);
  if (cached && !cached.goneAt && !isStale(cached, clock.now())) return cached;
  if (handle?.endsWith(`@${config.origin.host.toLowerCase()}`)) return null;
  if (!handle && new URL(query).origin === config.origin.origin) return null;
  let target = query;
  if (handle) {
    // Our WebFinger client, not Fedify's: it also asks http where loopback instances are
    // allowed, refuses blocked servers and tells failures apart (logged).
    const at = handle.lastIndexOf("@");
    const found = await webFingerActor(
      handle.slice(0, at),
      handle.slice(at + 1),
      webFingerOptionsFor(config, (host) => isDomainBlocked(db, host)),
    );
    if (!found.found) {
      logger.info("WebFinger for {handle} failed: {detail}", { handle, detail: found.detail });
      return cached;
    }
    target = found.actorUri;
  }
  let object: unknown = null;
  const documentLoader = await signedLoader(ctx);
  try {
    object = await ctx.lookupObject(target, { documentLoader });
  } catch (error) {
    logger.info("Lookup of {query} failed: {error}", { query, error });
  }
  if (!isActor(object) || !object.id) return cached;
  if (object.id.origin === config.origin.origin) return null;
  return upsertRemoteActor(db, clock, await remoteActorDataOf(object, { handle, documentLoader }));
}

/** The cached row of an actor whose activity arrived, fetched when unknown or stale. */
export async function remoteActorFor(
  ctx: Context<FederationData>,
  uri: URL,
): Promise<RemoteActor | null> {
  return lookupRemoteActor(ctx, uri.href);
}
