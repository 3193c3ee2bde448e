import { and, eq, isNull, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { statuses } from "../db/schema/index.ts";
import { hostOf } from "../peers/host.ts";
import { sanitizeRemoteHtml } from "./sanitize.ts";

/*
 * Remote notes in the statuses table (local posts live there too: src/social/posts*.ts). The
 * federation adapter turns a fetched or delivered Note into RemoteStatusData; its author must be
 * stored first (remote-actors.ts). Content is sanitised here, once.
 */

export type Visibility = "public" | "unlisted" | "private" | "direct";

export interface RemoteStatusData {
  uri: string;
  url: string | null;
  /** remote_actors.id of the author (attributedTo), already cached. */
  remoteActorId: bigint;
  contentHtml: string;
  summary: string;
  inReplyToUri: string | null;
  visibility: Visibility;
  publishedAt: Date;
  editedAt: Date | null;
}

export type Status = typeof statuses.$inferSelect;

const MAX_CONTENT = 100_000;

/**
 * Inserts a remote note or updates the cached one (an Update, a refresh). The id is taken from
 * the publication time, so timelines sort it where it belongs. Never touches a local post, and
 * never moves a note to another author: a different author for a known uri is refused (null).
 */
export async function upsertRemoteStatus(
  db: Db,
  clock: Clock,
  data: RemoteStatusData,
): Promise<Status | null> {
  if (hostOf(data.uri) === null) throw new RangeError(`not a note id: ${data.uri.slice(0, 100)}`);
  const now = clock.now();
  const published = Number.isFinite(data.publishedAt.getTime()) ? data.publishedAt : now;
  const values = {
    url: data.url && hostOf(data.url) !== null ? data.url.slice(0, 2048) : null,
    contentHtml: sanitizeRemoteHtml(data.contentHtml.slice(0, MAX_CONTENT)),
    summary: data.summary.slice(0, 1000),
    inReplyToUri: data.inReplyToUri,
    visibility: data.visibility,
    editedAt: data.editedAt,
    fetchedAt: now,
  };
  const [row] = await db
    .insert(statuses)
    .values({
      // A note dated in the future sorts as now: it must not stay on top of every timeline.
      id: newId(new Date(Math.min(published.getTime(), now.getTime()))),
      uri: data.uri,
      remoteActorId: data.remoteActorId,
      publishedAt: published,
      ...values,
    })
    .onConflictDoUpdate({
      target: statuses.uri,
      set: values,
      // Only the same remote author's note, and not once deleted.
      setWhere: sql`${statuses.remoteActorId} = ${data.remoteActorId} and ${statuses.deletedAt} is null`,
    })
    .returning();
  if (!row) return null;
  if (row.inReplyToUri && row.inReplyToId === null) await linkReply(db, row);
  // Replies that arrived before this note now find their parent.
  await db
    .update(statuses)
    .set({ inReplyToId: row.id })
    .where(and(eq(statuses.inReplyToUri, row.uri), isNull(statuses.inReplyToId)));
  return row;
}

async function linkReply(db: Db, row: Status): Promise<void> {
  const [parent] = await db
    .select({ id: statuses.id })
    .from(statuses)
    .where(eq(statuses.uri, row.inReplyToUri!));
  if (!parent) return;
  await db.update(statuses).set({ inReplyToId: parent.id }).where(eq(statuses.id, row.id));
  row.inReplyToId = parent.id;
}

export async function findStatusByUri(db: Db, uri: string): Promise<Status | null> {
  const [row] = await db.select().from(statuses).where(eq(statuses.uri, uri));
  return row ?? null;
}

/**
 * A remote note was deleted (Delete, or 410 on refresh) by its author: the row stays, its content
 * is emptied, its thing and money history are kept. Returns whether a row was changed.
 */
export async function markRemoteStatusDeleted(
  db: Db,
  clock: Clock,
  uri: string,
  remoteActorId: bigint,
): Promise<boolean> {
  const rows = await db
    .update(statuses)
    .set({ deletedAt: clock.now(), contentHtml: "", summary: "" })
    .where(
      and(
        eq(statuses.uri, uri),
        eq(statuses.remoteActorId, remoteActorId),
        isNull(statuses.deletedAt),
      ),
    )
    .returning({ id: statuses.id });
  return rows.length > 0;
}

/**
 * A Delete arrived for a note we do not have (it overtook its Create, or we never had it): a
 * deleted row without content is kept under its uri, so a late Create or Update cannot bring the
 * note back (upsertRemoteStatus leaves deleted rows alone). Returns whether a row was added.
 */
export async function insertRemoteTombstone(
  db: Db,
  clock: Clock,
  uri: string,
  remoteActorId: bigint,
): Promise<boolean> {
  if (hostOf(uri) === null || uri.length > 2048) return false;
  const now = clock.now();
  const rows = await db
    .insert(statuses)
    .values({
      id: newId(now),
      uri,
      remoteActorId,
      contentHtml: "",
      summary: "",
      // Never shown: the content is gone, and direct is the narrowest audience.
      visibility: "direct",
      publishedAt: now,
      deletedAt: now,
      fetchedAt: now,
    })
    .onConflictDoNothing({ target: statuses.uri })
    .returning({ id: statuses.id });
  return rows.length > 0;
}
