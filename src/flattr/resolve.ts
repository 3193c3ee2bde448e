import { and, eq, isNotNull } from "drizzle-orm";
import { findUserByUsername } from "../accounts/users.ts";
import type { Db } from "../db/client.ts";
import { statuses, things } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { ok, type Result, refused } from "../errors.ts";
import { isDomainBlocked } from "../peers/blocks.ts";
import { hostOf } from "../peers/host.ts";
import {
  findRemoteActorByHandle,
  findRemoteActorById,
  findRemoteActorByUri,
  isStale,
  markActorGone,
  type RemoteActor,
  type RemoteActorData,
  upsertRemoteActor,
} from "../social/remote-actors.ts";
import {
  findStatusByUri,
  markRemoteStatusDeleted,
  type Status,
  upsertRemoteStatus,
} from "../social/remote-statuses.ts";
import type { LookupFailure, RemoteLookup, RemoteObjectData } from "./remote-lookup.ts";
import {
  findRemoteProfileThing,
  findThingByObjectUri,
  linkStatusThing,
  remoteExcerpt,
  remoteHeadline,
  remoteObjectDeleted,
  remoteThing,
  remoteTitle,
} from "./remote-things.ts";
import { ResolveError } from "./resolve-errors.ts";
import { localTarget, parseResolveInput } from "./resolve-input.ts";
import { localOwner, remoteOwner, type ThingOwner, thingOwner } from "./resolve-owner.ts";
import { profileThing, type Thing, toThing } from "./things.ts";

/*
 * The resolve door: a handle or an address in, the flattrable thing for it out, created on first
 * use. Local handles and addresses are answered from the database, never over the network.
 * Remote ones go through the RemoteLookup port (WebFinger, signed fetches), are cached in
 * remote_actors / statuses with when they were fetched, and are fetched again once stale. A
 * deleted actor or object (410, Tombstone) keeps its thing and money history; a server that does
 * not answer leaves a cached copy usable. Every refusal is a ResolveError value.
 */

/** How long a cached remote note is trusted before a look-up fetches it again. */
export const NOTE_STALE_AFTER_MS = 24 * 3600 * 1000;

export interface Resolved {
  thing: Thing;
  owner: ThingOwner;
  /** This look-up created the thing. */
  created: boolean;
  /** The object (or, for a profile, the actor) was deleted on its server. */
  deleted: boolean;
}

type Outcome = Result<Resolved, ResolveError>;

const refuse = (code: ResolveError["code"], message: string) =>
  refused(new ResolveError(code, message));

/** A look-up failure as the refusal people see. */
function failure(f: LookupFailure, what: string): { ok: false; error: ResolveError } {
  switch (f.reason) {
    case "not_found":
      return refuse("not_found", `Nothing was found at ${what}.`);
    case "gone":
      return refuse("remote_gone", `${what} was deleted on its server.`);
    case "not_flattrable":
      return refuse("not_flattrable", `${what} cannot be flattred: ${f.detail}`);
    case "blocked":
      return refuse("domain_blocked", `${what} is on a server blocked here.`);
    case "unreachable":
      return refuse(
        "remote_unreachable",
        `The server of ${what} could not be reached (${f.detail}). Try again later.`,
      );
  }
}

/** Resolves a handle (`@user@host`, `acct:user@host`) or an address to its thing. */
export async function resolveThing(
  deps: Deps,
  lookup: RemoteLookup,
  raw: string,
): Promise<Outcome> {
  const parsed = parseResolveInput(raw);
  if (!parsed.ok) return refuse("invalid_uri", parsed.reason);
  const { input } = parsed;
  const ours = deps.config.origin;
  if (input.kind === "handle") {
    if (input.host === ours.host) return resolveLocalUser(deps, input.username);
    return resolveHandle(deps, lookup, `${input.username}@${input.host}`, input.host);
  }
  const local = localTarget(input.url, ours);
  if (local?.kind === "user") return resolveLocalUser(deps, local.username);
  if (local?.kind === "thing") return answerThingId(deps, local.id);
  if (local?.kind === "object") return resolveLocalObject(deps, local.uri);
  return resolveUrl(deps, lookup, input.url);
}

// ---- local ------------------------------------------------------------------------------

async function resolveLocalUser(deps: Deps, username: string): Promise<Outcome> {
  const { config, clock } = deps;
  const db = deps.database.db;
  const user = await findUserByUsername(db, username);
  if (!user) return refuse("not_found", `There is no user @${username.slice(0, 60)} here.`);
  const before = await db
    .select({ id: things.id })
    .from(things)
    .where(and(eq(things.ownerId, user.id), eq(things.kind, "profile")));
  const thing = await profileThing(db, clock, config, user.id);
  return ok({
    thing,
    owner: localOwner(config, user),
    created: before.length === 0,
    deleted: false,
  });
}

async function answerThingId(deps: Deps, id: number): Promise<Outcome> {
  const db = deps.database.db;
  const [row] = await db.select().from(things).where(eq(things.id, id));
  if (!row) return refuse("not_found", `There is no thing ${id} here.`);
  return answer(db, deps, toThing(row), false);
}

async function resolveLocalObject(deps: Deps, uri: string): Promise<Outcome> {
  const db = deps.database.db;
  const thing = await findThingByObjectUri(db, uri);
  if (thing) return answer(db, deps, thing, false);
  // A local post's page (its url) rather than its id.
  const [post] = await db
    .select({ thingId: statuses.thingId })
    .from(statuses)
    .where(and(eq(statuses.url, uri), isNotNull(statuses.userId), isNotNull(statuses.thingId)));
  if (post?.thingId) return answerThingId(deps, post.thingId);
  return refuse("not_found", "Nothing on this instance has that address.");
}

async function answer(db: Db, deps: Deps, thing: Thing, created: boolean): Promise<Outcome> {
  const [owner, deleted] = await Promise.all([
    thingOwner(db, deps.config, thing),
    remoteObjectDeleted(db, thing),
  ]);
  return ok({ thing, owner, created, deleted });
}

// ---- remote -----------------------------------------------------------------------------

async function blocked(deps: Deps, uri: string): Promise<boolean> {
  const host = hostOf(uri);
  return host === null || (await isDomainBlocked(deps.database.db, host));
}

const blockedRefusal = (what: string) =>
  refuse("domain_blocked", `${what} is on a server blocked on this instance.`);

async function resolveHandle(
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
async function resolveActorUri(
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

async function storeActor(
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
  const { thing, created } = await remoteThing(db, deps.clock, {
    remoteOwnerId: actor.id,
    kind: "profile",
    objectUri: actor.uri,
    url: actor.url,
    title: remoteTitle(actor.name, actor.handle, actor.uri),
    description: remoteExcerpt(actor.summaryHtml),
  });
  return ok({ thing, owner, created, deleted: owner.gone });
}

async function ownerOf(lookup: RemoteLookup, actor: RemoteActor): Promise<ThingOwner> {
  const scheme = actor.uri.startsWith("http:") ? "http" : "https";
  const peer = await lookup.peer(actor.host, scheme);
  return remoteOwner(actor, peer.speaksFlattr);
}

async function resolveUrl(deps: Deps, lookup: RemoteLookup, url: string): Promise<Outcome> {
  if (await blocked(deps, url)) return blockedRefusal(url);
  const db = deps.database.db;
  const now = deps.clock.now();
  const actor = await findRemoteActorByUri(db, url);
  if (actor) return resolveActorUri(deps, lookup, url, actor.handle);
  const status = await findStatusByUri(db, url);
  const remoteStatus = status?.remoteActorId != null ? status : null;
  if (remoteStatus && (remoteStatus.deletedAt !== null || !noteIsStale(remoteStatus, now)))
    return answerStatus(deps, lookup, remoteStatus);
  const page = remoteStatus ? null : await findThingByObjectUri(db, url);
  if (page) return answer(db, deps, page, false);

  const fetched = await lookup.fetch(url);
  if (!fetched.found) {
    if (!remoteStatus || fetched.reason === "blocked" || fetched.reason === "not_flattrable")
      return failure(fetched, url);
    if (fetched.reason === "gone")
      await markRemoteStatusDeleted(db, deps.clock, remoteStatus.uri, remoteStatus.remoteActorId!);
    return answerStatus(deps, lookup, (await findStatusByUri(db, url)) ?? remoteStatus);
  }
  if (fetched.kind === "actor") {
    // Found by its page (/@alice) rather than its id: the id is the key.
    const known = await findRemoteActorByUri(db, fetched.actor.uri);
    return storeActor(deps, lookup, fetched.actor, known?.handle ?? null);
  }
  return storeObject(deps, lookup, fetched.object);
}

function noteIsStale(status: Pick<Status, "fetchedAt">, now: Date): boolean {
  return (
    status.fetchedAt === null || now.getTime() - status.fetchedAt.getTime() > NOTE_STALE_AFTER_MS
  );
}

/** The author of an object: cached when fresh, else fetched (a cached copy serves on failure). */
async function authorOf(
  deps: Deps,
  lookup: RemoteLookup,
  uri: string,
): Promise<Result<RemoteActor, ResolveError>> {
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
    return failure(fetched, `its author ${uri}`);
  }
  if (fetched.kind !== "actor")
    return refuse("not_flattrable", `its author ${uri} is not an account.`);
  if (fetched.actor.uri !== uri)
    return refuse("not_flattrable", `its author ${uri} answered as another actor.`);
  return ok(
    await upsertRemoteActor(db, deps.clock, {
      ...fetched.actor,
      handle: cached?.handle ?? fetched.actor.handle,
    }),
  );
}

async function storeObject(
  deps: Deps,
  lookup: RemoteLookup,
  object: RemoteObjectData,
): Promise<Outcome> {
  const db = deps.database.db;
  if (await blocked(deps, object.uri)) return blockedRefusal(object.uri);
  if (!object.attributedTo)
    return refuse("not_flattrable", `${object.uri} names no author, so nobody could be paid.`);
  // Money follows attributedTo: a server may only name its own accounts as authors.
  if (new URL(object.attributedTo).origin !== new URL(object.uri).origin)
    return refuse(
      "not_flattrable",
      `${object.uri} is attributed to an account on another server (${hostOf(object.attributedTo)}); it cannot be flattred.`,
    );
  const author = await authorOf(deps, lookup, object.attributedTo);
  if (!author.ok) return author;
  const actor = author.value;
  if (object.kind === "page") {
    const { thing, created } = await remoteThing(db, deps.clock, {
      remoteOwnerId: actor.id,
      kind: "page",
      objectUri: object.uri,
      url: object.url,
      title: remoteTitle(
        object.name,
        object.summary,
        remoteHeadline(object.contentHtml),
        object.url,
      ),
      description: remoteExcerpt(object.contentHtml),
    });
    return ok({ thing, owner: await ownerOf(lookup, actor), created, deleted: false });
  }
  const status = await upsertRemoteStatus(db, deps.clock, {
    uri: object.uri,
    url: object.url,
    remoteActorId: actor.id,
    contentHtml: object.contentHtml,
    summary: object.summary,
    inReplyToUri: object.inReplyToUri,
    visibility: object.visibility,
    publishedAt: object.publishedAt ?? deps.clock.now(),
    editedAt: object.editedAt,
  });
  // Null: the uri is a deleted note, or someone else's (a local post): answer what we have.
  const row = status ?? (await findStatusByUri(db, object.uri));
  if (!row || row.remoteActorId !== actor.id)
    return refuse("not_flattrable", `${object.uri} is known here as someone else's post.`);
  return answerStatus(deps, lookup, row, { name: object.name, fresh: status !== null });
}

/** A cached remote note's thing (created on first use) and its owner. */
async function answerStatus(
  deps: Deps,
  lookup: RemoteLookup,
  status: Status,
  extra: { name?: string | null; fresh?: boolean } = {},
): Promise<Outcome> {
  const db = deps.database.db;
  const author = await findRemoteActorById(db, status.remoteActorId!);
  if (!author) throw new Error(`status ${status.id} has no author row`);
  const owner = await ownerOf(lookup, author);
  const deleted = status.deletedAt !== null;
  const known = status.thingId !== null ? await findThingById(db, status.thingId) : null;
  if (known && (!extra.fresh || deleted))
    return ok({ thing: known, owner, created: false, deleted });
  if (deleted) {
    const thing = await findThingByObjectUri(db, status.uri);
    if (thing) return ok({ thing, owner, created: false, deleted });
    return refuse("remote_gone", `${status.uri} was deleted on its server.`);
  }
  const { thing, created } = await remoteThing(db, deps.clock, {
    remoteOwnerId: author.id,
    kind: "note",
    objectUri: status.uri,
    url: status.url,
    title: remoteTitle(
      status.summary,
      extra.name,
      remoteHeadline(status.contentHtml),
      `Post by ${owner.name}`,
    ),
    description: remoteExcerpt(status.contentHtml),
  });
  await linkStatusThing(db, status.id, thing.id);
  return ok({ thing, owner, created, deleted });
}

async function findThingById(db: Db, id: number): Promise<Thing | null> {
  const [row] = await db.select().from(things).where(eq(things.id, id));
  return row ? toThing(row) : null;
}
