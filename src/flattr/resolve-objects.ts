import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { things } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { ok } from "../errors.ts";
import { hostOf } from "../peers/host.ts";
import { findRemoteActorById, findRemoteActorByUri } from "../social/remote-actors.ts";
import {
  findStatusByUri,
  markRemoteStatusDeleted,
  type Status,
  upsertRemoteStatus,
} from "../social/remote-statuses.ts";
import type { RemoteLookup, RemoteObjectData } from "./remote-lookup.ts";
import { findThingByObjectUri } from "./remote-things.ts";
import { ensureRemoteActor, ownerOf, resolveActorUri, storeActor } from "./resolve-actors.ts";
import {
  answer,
  blocked,
  blockedRefusal,
  failure,
  notTheirs,
  type Outcome,
  refuse,
} from "./resolve-common.ts";
import {
  linkStatusThing,
  remoteExcerpt,
  remoteHeadline,
  remoteTitle,
  resolvedThing,
} from "./resolve-things.ts";
import { type Thing, toThing } from "./things.ts";

/*
 * Remote addresses for the resolver: an actor's or an object's URL. Notes (any kind of post) are
 * cached in statuses and fetched again once stale, a deletion is final; Pages become page things.
 * Money follows attributedTo, so an object's author must be on the object's own origin.
 */

/** How long a cached remote note is trusted before a look-up fetches it again. */
export const NOTE_STALE_AFTER_MS = 24 * 3600 * 1000;

export async function resolveUrl(deps: Deps, lookup: RemoteLookup, url: string): Promise<Outcome> {
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
  const author = await ensureRemoteActor(deps, lookup, object.attributedTo);
  if (!author.ok) return author;
  const actor = author.value;
  if (object.kind === "page") {
    const made = await resolvedThing(db, deps.clock, {
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
    if (!made) return notTheirs();
    const { thing, created } = made;
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
  const made = await resolvedThing(db, deps.clock, {
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
  if (!made) return notTheirs();
  const { thing, created } = made;
  await linkStatusThing(db, status.id, thing.id);
  return ok({ thing, owner, created, deleted });
}

async function findThingById(db: Db, id: number): Promise<Thing | null> {
  const [row] = await db.select().from(things).where(eq(things.id, id));
  return row ? toThing(row) : null;
}
