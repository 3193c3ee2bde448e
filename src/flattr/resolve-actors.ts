import type { Deps } from "../deps.ts";
import { ok, type Result } from "../errors.ts";
import { isDomainBlocked } from "../peers/blocks.ts";
import {
  findRemoteActorByHandle,
  findRemoteActorByUri,
  isStale,
  markActorGone,
  type RemoteActor,
  type RemoteActorData,
  upsertRemoteActor,
} from "../social/remote-actors.ts";
import type { LookupFailure, RemoteLookup } from "./remote-lookup.ts";
import {
  answer,
  blocked,
  blockedRefusal,
  failure,
  notTheirs,
  type Outcome,
  refuse,
} from "./resolve-common.ts";
import type { ResolveError } from "./resolve-errors.ts";
import { remoteOwner, type ThingOwner } from "./resolve-owner.ts";
import {
  findRemoteProfileThing,
  remoteExcerpt,
  remoteTitle,
  resolvedThing,
} from "./resolve-things.ts";

/*
 * Remote actors for the resolver: by handle (WebFinger) or by id, cached in remote_actors and
 * fetched again once stale; an actor's profile thing; an object's author.
 */

export async function resolveHandle(
  deps: Deps,
  lookup: RemoteLookup,
  handle: string,
  host: string,
): Promise<Outcome> {
  const what = `@${handle}`;
  if (await isDomainBlocked(deps.database.db, host)) return blockedRefusal(what);
  const cached = await findRemoteActorByHandle(deps.database.db, handle);
  // A gone actor counts as known too: it is asked again only once stale.
  if (cached && !isStale(cached, deps.clock.now())) return answerActor(deps, lookup, cached, false);
  const found = await lookup.webFinger(handle.split("@")[0]!, host);
  if (!found.found) {
    if (cached && found.reason === "unreachable") return answerActor(deps, lookup, cached, false);
    if (found.reason === "not_found")
      return refuse("not_found", `There is no account ${what} on ${host}.`);
    return failure(found, what);
  }
  return resolveActorUri(deps, lookup, found.actorUri, handle);
}

/**
 * The actor at `uri`, fetched when not cached or stale, stored, with its profile thing. `handle`
 * is the WebFinger-confirmed handle when the actor was found by one.
 */
export async function resolveActorUri(
  deps: Deps,
  lookup: RemoteLookup,
  uri: string,
  handle: string | null,
): Promise<Outcome> {
  if (await blocked(deps, uri)) return blockedRefusal(handle ? `@${handle}` : uri);
  const cached = await findRemoteActorByUri(deps.database.db, uri);
  if (cached && !isStale(cached, deps.clock.now())) return answerActor(deps, lookup, cached, false);
  const what = handle ? `@${handle}` : uri;
  const fetched = await lookup.fetch(uri);
  if (!fetched.found) return actorFailure(deps, lookup, cached, fetched, what);
  if (fetched.kind !== "actor") return refuse("not_flattrable", `${what} is not an account.`);
  // WebFinger vouched for the handle of `uri` only; an actor answering with another id keeps its own.
  const sameActor = fetched.actor.uri === uri;
  return storeActor(
    deps,
    lookup,
    fetched.actor,
    sameActor ? (handle ?? cached?.handle ?? null) : null,
  );
}

/** A failed fetch of a (maybe) known actor: 410 marks it gone; otherwise a cached copy serves. */
async function actorFailure(
  deps: Deps,
  lookup: RemoteLookup,
  cached: RemoteActor | null,
  f: LookupFailure,
  what: string,
): Promise<Outcome> {
  if (!cached || f.reason === "blocked" || f.reason === "not_flattrable") return failure(f, what);
  const db = deps.database.db;
  if (f.reason === "gone") {
    await markActorGone(db, deps.clock, cached.uri);
    const thing = await findRemoteProfileThing(db, cached.id);
    if (!thing) return failure(f, what);
    return answer(db, deps, thing, false);
  }
  return answerActor(deps, lookup, cached, false);
}

export async function storeActor(
  deps: Deps,
  lookup: RemoteLookup,
  data: RemoteActorData,
  handle: string | null,
): Promise<Outcome> {
  if (await blocked(deps, data.uri)) return blockedRefusal(data.uri);
  if (data.type === "Application")
    return refuse(
      "not_flattrable",
      `${data.uri} is a server's own actor, not a person or a project: it cannot be flattred.`,
    );
  const actor = await upsertRemoteActor(deps.database.db, deps.clock, {
    ...data,
    handle: handle ?? data.handle,
  });
  return answerActor(deps, lookup, actor, true);
}

/** An actor's profile thing (created on first use) and its owner kind. */
async function answerActor(
  deps: Deps,
  lookup: RemoteLookup,
  actor: RemoteActor,
  refreshed: boolean,
): Promise<Outcome> {
  const db = deps.database.db;
  const existing = await findRemoteProfileThing(db, actor.id);
  // A gone actor keeps the thing it had; it gets no new one.
  if (actor.goneAt !== null && !existing)
    return refuse("remote_gone", `${actor.handle ?? actor.uri} was deleted on its server.`);
  const owner = await ownerOf(lookup, actor);
  if (existing && !refreshed)
    return ok({ thing: existing, owner, created: false, deleted: owner.gone });
  const made = await resolvedThing(db, deps.clock, {
    remoteOwnerId: actor.id,
    kind: "profile",
    objectUri: actor.uri,
    url: actor.url,
    title: remoteTitle(actor.name, actor.handle, actor.uri),
    description: remoteExcerpt(actor.summaryHtml),
  });
  if (!made) return notTheirs();
  const { thing, created } = made;
  return ok({ thing, owner, created, deleted: owner.gone });
}

export async function ownerOf(lookup: RemoteLookup, actor: RemoteActor): Promise<ThingOwner> {
  const scheme = actor.uri.startsWith("http:") ? "http" : "https";
  const peer = await lookup.peer(actor.host, scheme);
  return remoteOwner(actor, peer.speaksFlattr);
}

/**
 * A remote actor by its id, as a cached row: the cache when fresh, else fetched and stored (a
 * cached copy serves when its server fails; a 410 marks it gone). For an object's author, and
 * for any code that needs the actor behind an id it was given (an inbound activity's actor, a
 * followed account): no thing is created. Instance actors (Application) are refused.
 */
export async function ensureRemoteActor(
  deps: Deps,
  lookup: RemoteLookup,
  uri: string,
): Promise<Result<RemoteActor, ResolveError>> {
  if (await blocked(deps, uri)) return blockedRefusal(uri);
  const db = deps.database.db;
  const cached = await findRemoteActorByUri(db, uri);
  if (cached && !isStale(cached, deps.clock.now())) return ok(cached);
  const fetched = await lookup.fetch(uri);
  if (!fetched.found) {
    if (cached && (fetched.reason === "unreachable" || fetched.reason === "not_found"))
      return ok(cached);
    if (cached && fetched.reason === "gone") {
      await markActorGone(db, deps.clock, uri);
      return ok((await findRemoteActorByUri(db, uri)) ?? cached);
    }
    return failure(fetched, uri);
  }
  if (fetched.kind !== "actor" || fetched.actor.type === "Application")
    return refuse("not_flattrable", `${uri} is not a person's or a project's account.`);
  if (fetched.actor.uri !== uri)
    return refuse("not_flattrable", `${uri} answered as another actor.`);
  return ok(
    await upsertRemoteActor(db, deps.clock, {
      ...fetched.actor,
      handle: cached?.handle ?? fetched.actor.handle,
    }),
  );
}
