import type { Context, DocumentLoader } from "@fedify/fedify";
import {
  type Actor,
  Application,
  Group,
  isActor,
  Link,
  Organization,
  Person,
  Service,
} from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { hostOf } from "../peers/host.ts";
import {
  findRemoteActorByHandle,
  findRemoteActorByUri,
  isStale,
  type RemoteActor,
  type RemoteActorData,
  type RemoteActorType,
  upsertRemoteActor,
} from "../social/remote-actors.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import type { FederationData } from "./federation.ts";
import { dbOf } from "./outbox.ts";

/*
 * Remote actors as the social features need them: from the cache (src/social/remote-actors.ts)
 * while fresh, else fetched with the instance actor's signed document loader (servers in secure
 * mode refuse unsigned fetches) and cached. Fedify types end here; the domain gets rows.
 */

const logger = getLogger(["fediflattr", "federation", "actors"]);

function actorType(actor: Actor): RemoteActorType {
  if (actor instanceof Service) return "Service";
  if (actor instanceof Application) return "Application";
  if (actor instanceof Group) return "Group";
  if (actor instanceof Organization) return "Organization";
  if (actor instanceof Person) return "Person";
  return "Person";
}

const hrefOf = (v: URL | Link | null | undefined): string | null =>
  v instanceof URL ? v.href : (v?.href?.href ?? null);

/** What the cache stores of a fetched actor; `handle` as WebFinger confirmed it, if known. */
export async function actorData(
  actor: Actor,
  handle: string | null,
  documentLoader?: DocumentLoader,
): Promise<RemoteActorData> {
  const uri = actor.id!.href;
  const username = actor.preferredUsername?.toString() ?? null;
  let iconUrl: string | null = null;
  let paymentUrl: string | null = null;
  try {
    const icon = await actor.getIcon({ documentLoader });
    iconUrl = hrefOf(icon?.url);
  } catch {}
  try {
    for await (const a of actor.getAttachments({ documentLoader })) {
      if (a instanceof Link && (a.rel === "payment" || a.rels.includes("payment")) && a.href) {
        paymentUrl = a.href.href;
        break;
      }
    }
  } catch {}
  return {
    uri,
    type: actorType(actor),
    handle: handle ?? (username ? `${username}@${hostOf(uri)}` : null),
    name: actor.name?.toString() ?? "",
    summaryHtml: actor.summary?.toString() ?? "",
    url: hrefOf(actor.url),
    iconUrl,
    inboxUrl: actor.inboxId?.href ?? null,
    sharedInboxUrl: actor.endpoints?.sharedInbox?.href ?? null,
    followersUrl: actor.followersId?.href ?? null,
    paymentUrl,
  };
}

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
  let object: unknown = null;
  const documentLoader = await signedLoader(ctx);
  try {
    object = await ctx.lookupObject(handle ? `@${handle}` : query, { documentLoader });
  } catch (error) {
    logger.info("Lookup of {query} failed: {error}", { query, error });
  }
  if (!isActor(object) || !object.id) return cached;
  if (object.id.origin === config.origin.origin) return null;
  return upsertRemoteActor(db, clock, await actorData(object, handle, documentLoader));
}

/** The cached row of an actor whose activity arrived, fetched when unknown or stale. */
export async function remoteActorFor(
  ctx: Context<FederationData>,
  uri: URL,
): Promise<RemoteActor | null> {
  return lookupRemoteActor(ctx, uri.href);
}
