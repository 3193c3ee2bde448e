import type { Context, Federation } from "@fedify/fedify";
import type { Recipient } from "@fedify/vocab";
import { and, asc, count, eq, gt, isNotNull, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { followers, following } from "../db/schema/index.ts";
import { countPostsByUser, listPostsByUser, parsePostId } from "../social/posts.ts";
import { INSTANCE_ACTOR, localUser } from "./actors.ts";
import type { FederationData } from "./federation.ts";
import { createOf } from "./notes.ts";
import { dbOf } from "./outbox.ts";

const PAGE_SIZE = 50;

/** The local user behind a collection URL, by canonical username only. */
async function userId(ctx: Context<FederationData>, identifier: string): Promise<number | null> {
  return (await localUser(ctx, identifier))?.id ?? null;
}

/**
 * Cursors are row ids (stable while rows come and go); no cursor means everyone, which is what
 * Fedify asks for when it fans an activity out to followers. Undefined: a malformed cursor.
 */
function page(cursor: string | null): { after: number | null; limit: number | null } | undefined {
  if (cursor === null) return { after: null, limit: null };
  return /^\d{1,15}$/.test(cursor) ? { after: Number(cursor), limit: PAGE_SIZE } : undefined;
}

function nextCursor<T extends { id: number }>(rows: T[], limit: number | null): string | null {
  const last = rows.at(-1);
  return limit !== null && rows.length === limit && last ? String(last.id) : null;
}

async function followerRows(db: Db, where: SQL | undefined, limit: number | null) {
  const query = db
    .select({
      id: followers.id,
      actorUri: followers.actorUri,
      inboxUrl: followers.inboxUrl,
      sharedInboxUrl: followers.sharedInboxUrl,
    })
    .from(followers)
    .where(where)
    .orderBy(asc(followers.id))
    .$dynamic();
  return limit === null ? query : query.limit(limit);
}

async function followingRows(db: Db, where: SQL | undefined, limit: number | null) {
  const query = db
    .select({ id: following.id, actorUri: following.actorUri })
    .from(following)
    .where(where)
    .orderBy(asc(following.id))
    .$dynamic();
  return limit === null ? query : query.limit(limit);
}

function toRecipient(row: {
  actorUri: string;
  inboxUrl: string;
  sharedInboxUrl: string | null;
}): Recipient {
  return {
    id: new URL(row.actorUri),
    inboxId: new URL(row.inboxUrl),
    endpoints: row.sharedInboxUrl ? { sharedInbox: new URL(row.sharedInboxUrl) } : null,
  };
}

const OUTBOX_PAGE = 20;

/**
 * Outbox (the Create of each live post, newest first, in pages keyed by post id), followers and
 * following of local users. GET serves them in pages; unknown users get a 404 (the first cursor
 * is null for them, and so is the page).
 */
export function registerCollections(federation: Federation<FederationData>): void {
  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", async (ctx, identifier, cursor) => {
      if (identifier === INSTANCE_ACTOR) return { items: [] };
      const id = await userId(ctx, identifier);
      // "" is the first page; a cursor is the last post id of the page before.
      const maxId = cursor ? parsePostId(cursor) : null;
      if (id === null || (cursor && maxId === null)) return null;
      const posts = await listPostsByUser({ db: dbOf(ctx), config: ctx.data.config }, id, {
        maxId,
        limit: OUTBOX_PAGE,
      });
      const last = posts.at(-1);
      return {
        items: posts.map((p) => createOf(ctx, p)),
        nextCursor: posts.length === OUTBOX_PAGE && last ? String(last.id) : null,
      };
    })
    .setFirstCursor(async (ctx, identifier) =>
      identifier !== INSTANCE_ACTOR && (await userId(ctx, identifier)) !== null ? "" : null,
    )
    .setCounter(async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return 0;
      const id = await userId(ctx, identifier);
      return id === null ? null : countPostsByUser(dbOf(ctx), id);
    });

  const firstCursor = async (ctx: Context<FederationData>, identifier: string) =>
    (await userId(ctx, identifier)) === null ? null : "0";

  federation
    .setFollowersDispatcher("/users/{identifier}/followers", async (ctx, identifier, cursor) => {
      const db = dbOf(ctx);
      const id = await userId(ctx, identifier);
      const p = page(cursor);
      if (id === null || !p) return null;
      const where = and(
        eq(followers.userId, id),
        p.after === null ? undefined : gt(followers.id, p.after),
        // No cursor: Fedify asks whom to deliver to; local followers read this database.
        cursor === null ? isNotNull(followers.remoteActorId) : undefined,
      );
      const rows = await followerRows(db, where, p.limit);
      return { items: rows.map(toRecipient), nextCursor: nextCursor(rows, p.limit) };
    })
    .setFirstCursor(firstCursor)
    .setCounter(async (ctx, identifier) => {
      const db = dbOf(ctx);
      const id = await userId(ctx, identifier);
      if (id === null) return null;
      const [row] = await db.select({ n: count() }).from(followers).where(eq(followers.userId, id));
      return row?.n ?? 0;
    });

  federation
    .setFollowingDispatcher("/users/{identifier}/following", async (ctx, identifier, cursor) => {
      const db = dbOf(ctx);
      const id = await userId(ctx, identifier);
      const p = page(cursor);
      if (id === null || !p) return null;
      const where = and(
        eq(following.userId, id),
        isNotNull(following.acceptedAt),
        p.after === null ? undefined : gt(following.id, p.after),
      );
      const rows = await followingRows(db, where, p.limit);
      return { items: rows.map((r) => new URL(r.actorUri)), nextCursor: nextCursor(rows, p.limit) };
    })
    .setFirstCursor(firstCursor)
    .setCounter(async (ctx, identifier) => {
      const db = dbOf(ctx);
      const id = await userId(ctx, identifier);
      if (id === null) return null;
      const [row] = await db
        .select({ n: count() })
        .from(following)
        .where(and(eq(following.userId, id), isNotNull(following.acceptedAt)));
      return row?.n ?? 0;
    });
}
