import { eq } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { statusMentions } from "../db/schema/index.ts";
import { isFollowedHere } from "./follows.ts";
import { isLocalPostUri } from "./posts.ts";
import type { RemoteActor } from "./remote-actors.ts";
import {
  findStatusByUri,
  insertRemoteTombstone,
  markRemoteStatusDeleted,
  type RemoteStatusData,
  type Status,
  upsertRemoteStatus,
} from "./remote-statuses.ts";

/*
 * Notes other servers deliver (Create/Update/Delete): which ones this instance keeps, and
 * keeping them. The inbox adapter (src/federation/inbox/notes.ts) has already checked that the
 * activity's actor wrote the note and turned it into plain data.
 */

export interface IncomingNote extends Omit<RemoteStatusData, "remoteActorId"> {
  /** The author (attributedTo), equal to the activity's verified actor. */
  authorUri: string;
  /** Actors the note mentions (its `Mention` tags), with the local user each names, if any. */
  mentions: { actorUri: string; userId: number | null }[];
}

const MAX_MENTIONS = 100;

/**
 * Whether this instance keeps a note: its author is followed by someone here (a pending follow
 * counts: a Create may overtake the Accept), it mentions a local user, it answers a local post,
 * or it is a note we keep already (an Update). Everything else is dropped: an inbox is not a
 * place where anyone may store anything — only what someone here asked to see or is part of.
 * Decided before the author is fetched, so unwanted notes cost no request.
 */
export async function wantsNote(db: Db, config: Config, note: IncomingNote): Promise<boolean> {
  if (note.mentions.some((m) => m.userId !== null)) return true;
  if (await isFollowedHere(db, note.authorUri)) return true;
  if (note.inReplyToUri && (await isLocalPostUri({ db, config }, note.inReplyToUri))) return true;
  const known = await findStatusByUri(db, note.uri);
  return known !== null && known.remoteActorId !== null;
}

/**
 * Stores (or updates) a remote note by its already cached author, with its mentions, in one
 * transaction. Null when the uri belongs to another author or the note was deleted already.
 */
export async function storeRemoteNote(
  db: Db,
  clock: Clock,
  author: RemoteActor,
  note: IncomingNote,
): Promise<Status | null> {
  return db.transaction(async (tx) => {
    const row = await upsertRemoteStatus(tx as Db, clock, { ...note, remoteActorId: author.id });
    if (!row) return null;
    await tx.delete(statusMentions).where(eq(statusMentions.statusId, row.id));
    const mentions = [...new Map(note.mentions.map((m) => [m.actorUri, m])).values()].slice(
      0,
      MAX_MENTIONS,
    );
    if (mentions.length > 0)
      await tx
        .insert(statusMentions)
        .values(mentions.map((m) => ({ statusId: row.id, actorUri: m.actorUri, userId: m.userId })))
        .onConflictDoNothing();
    return row;
  });
}

/**
 * The author deleted a note: its row stays (thing, money history), its content goes. A note we do
 * not have yet (the Delete overtook its Create) gets a tombstone, so the late Create does not
 * bring it back. Returns whether anything changed.
 */
export async function deleteRemoteNote(
  db: Db,
  clock: Clock,
  author: RemoteActor,
  uri: string,
): Promise<boolean> {
  if (await markRemoteStatusDeleted(db, clock, uri, author.id)) return true;
  return insertRemoteTombstone(db, clock, uri, author.id);
}
