import type { InboxContext } from "@fedify/fedify";
import {
  Article,
  type Create,
  type Delete,
  isActor,
  type Link,
  Mention,
  Note,
  Page,
  PUBLIC_COLLECTION,
  type Update,
} from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { findUserByUsername } from "../../accounts/users.ts";
import { hostOf } from "../../peers/host.ts";
import { localTargetName } from "../../social/follows.ts";
import { escapeHtml } from "../../social/post-text.ts";
import {
  findRemoteActorByUri,
  markActorGone,
  upsertRemoteActor,
} from "../../social/remote-actors.ts";
import {
  deleteRemoteNote,
  type IncomingNote,
  storeRemoteNote,
  wantsNote,
} from "../../social/remote-notes.ts";
import type { Visibility } from "../../social/remote-statuses.ts";
import { htmlToText } from "../../social/sanitize.ts";
import { remoteActorFor, signedLoader } from "../actor-cache.ts";
import type { FederationData } from "../federation.ts";
import { dbOf } from "../outbox.ts";
import { remoteActorDataOf } from "../remote-actor-data.ts";
import { dateOf } from "../vocab/time.ts";

/*
 * Inbox listeners for posts from other servers: Create/Update/Delete of a Note (Articles and
 * Pages are kept as notes too). Thin: check who wrote what, turn it into plain data, and let
 * the domain (src/social/remote-notes.ts) decide whether to keep it — it keeps notes of accounts
 * someone here follows, notes that mention a local user or answer a local post, and updates of
 * notes it has; notes of accounts nobody here follows are ignored unless they mention someone
 * here. The HTTP guard has checked that the activity's id, actor and signer share one origin;
 * here the note must be by that actor and on its origin, or the activity is ignored (logged).
 */

const logger = getLogger(["fediflattr", "federation", "notes"]);

type NoteLike = Note | Article | Page;
const MAX_URI = 2048;

const hrefOf = (v: URL | Link | null | undefined): string | null =>
  v instanceof URL ? v.href : (v?.href?.href ?? null);

/** The object of a Create/Update if it is a note-like object by the activity's actor, else null. */
async function authoredNote(
  ctx: InboxContext<FederationData>,
  activity: Create | Update,
): Promise<NoteLike | null> {
  const actor = activity.actorId;
  if (!actor) return null;
  let object: unknown;
  try {
    object = await activity.getObject({ documentLoader: await signedLoader(ctx) });
  } catch (error) {
    logger.info("{id}: its object could not be read: {error}", { id: activity.id?.href, error });
    return null;
  }
  if (!(object instanceof Note || object instanceof Article || object instanceof Page)) return null;
  const attributed = object.attributionIds;
  if (
    !object.id ||
    object.id.origin !== actor.origin ||
    object.id.href.length > MAX_URI ||
    attributed.length !== 1 ||
    attributed[0]!.href !== actor.href
  ) {
    logger.warning("Ignored {id}: its note {note} is not by its actor {actor}", {
      id: activity.id?.href,
      note: object.id?.href,
      actor: actor.href,
    });
    return null;
  }
  return object;
}

/** The local user a mention's href names (actor id or profile URL here), if any. */
async function localMentioned(
  ctx: InboxContext<FederationData>,
  href: string,
): Promise<number | null> {
  const name = localTargetName(ctx.data.config, href);
  if (name === null || !URL.canParse(href)) return null;
  const user = await findUserByUsername(dbOf(ctx), name);
  return user && user.username === name ? user.id : null;
}

async function mentionsOf(ctx: InboxContext<FederationData>, note: NoteLike) {
  const out: IncomingNote["mentions"] = [];
  try {
    for await (const tag of note.getTags({ documentLoader: await signedLoader(ctx) })) {
      if (!(tag instanceof Mention) || !tag.href || tag.href.href.length > MAX_URI) continue;
      out.push({ actorUri: tag.href.href, userId: await localMentioned(ctx, tag.href.href) });
      if (out.length >= 100) break;
    }
  } catch (error) {
    logger.info("Tags of {id} could not be read: {error}", { id: note.id?.href, error });
  }
  return out;
}

function visibilityOf(note: NoteLike, followersUrl: string | null): Visibility {
  const to = note.toIds.map((u) => u.href);
  const cc = note.ccIds.map((u) => u.href);
  if (to.includes(PUBLIC_COLLECTION.href)) return "public";
  if (cc.includes(PUBLIC_COLLECTION.href)) return "unlisted";
  if (followersUrl && to.includes(followersUrl)) return "private";
  return "direct";
}

/** Articles and Pages become notes: their text, or their title linking to them. */
function contentOf(note: NoteLike): string {
  const content = note.content?.toString() ?? "";
  if (note instanceof Note || content !== "") return content;
  const url = hrefOf(note.url) ?? note.id!.href;
  const title = note.name?.toString() ?? url;
  return `<p>${escapeHtml(title)}</p><p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>`;
}

async function receive(ctx: InboxContext<FederationData>, activity: Create | Update) {
  const note = await authoredNote(ctx, activity);
  if (!note) return;
  const { clock } = ctx.data;
  const db = dbOf(ctx);
  const replyTo = note.replyTargetId?.href ?? null;
  const url = hrefOf(note.url);
  const incoming: IncomingNote = {
    uri: note.id!.href,
    authorUri: activity.actorId!.href,
    url: url && url.length <= MAX_URI ? url : null,
    contentHtml: contentOf(note),
    summary: htmlToText(note.summary?.toString() ?? ""),
    // Shown as a link: http(s) only, never javascript: or data:.
    inReplyToUri: replyTo && replyTo.length <= MAX_URI && hostOf(replyTo) !== null ? replyTo : null,
    visibility: "public",
    publishedAt: dateOf(note.published) ?? clock.now(),
    editedAt: dateOf(note.updated),
    mentions: await mentionsOf(ctx, note),
  };
  if (!(await wantsNote(db, ctx.data.config, incoming))) {
    logger.debug("Ignored {id}: nobody here follows {actor} or is mentioned", {
      id: incoming.uri,
      actor: incoming.authorUri,
    });
    return;
  }
  const author = await remoteActorFor(ctx, activity.actorId!);
  if (!author || author.uri !== incoming.authorUri) {
    logger.info("Ignored {id}: its author could not be fetched", { id: incoming.uri });
    return;
  }
  incoming.visibility = visibilityOf(note, author.followersUrl);
  const stored = await storeRemoteNote(db, clock, author, incoming);
  if (!stored) logger.info("Ignored {id}: deleted or by another author", { id: incoming.uri });
}

/** `Create` of a note. */
export async function onCreateNote(
  ctx: InboxContext<FederationData>,
  create: Create,
): Promise<void> {
  await receive(ctx, create);
}

/**
 * `Update` of a note (stored or, if it arrives before its Create, taken as one) or of the
 * actor itself (its cached profile is replaced).
 */
export async function onUpdateObject(
  ctx: InboxContext<FederationData>,
  update: Update,
): Promise<void> {
  const actorId = update.actorId;
  if (!actorId) return;
  if (update.objectId?.href === actorId.href) {
    const db = dbOf(ctx);
    // Only actors we keep are refreshed, with the actor as its own server serves it now.
    if (!(await findRemoteActorByUri(db, actorId.href))) return;
    const documentLoader = await signedLoader(ctx);
    const actor = await ctx.lookupObject(actorId.href, { documentLoader }).catch(() => null);
    if (isActor(actor) && actor.id?.href === actorId.href)
      await upsertRemoteActor(
        db,
        ctx.data.clock,
        await remoteActorDataOf(actor, { documentLoader }),
      );
    return;
  }
  await receive(ctx, update);
}

/**
 * `Delete` of a note (kept as deleted: its thing and money history stay) or of the actor itself
 * (marked gone). Only the author's own notes: the row must belong to the activity's actor.
 */
export async function onDeleteObject(
  ctx: InboxContext<FederationData>,
  del: Delete,
): Promise<void> {
  const actorId = del.actorId;
  const objectId = del.objectId;
  if (!actorId || !objectId) return;
  const db = dbOf(ctx);
  const { clock } = ctx.data;
  if (objectId.href === actorId.href) {
    await markActorGone(db, clock, actorId.href);
    return;
  }
  const author = await findRemoteActorByUri(db, actorId.href);
  if (!author || objectId.origin !== actorId.origin) return;
  await deleteRemoteNote(db, clock, author, objectId.href);
}
