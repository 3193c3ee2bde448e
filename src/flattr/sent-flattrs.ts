import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";

/** A flattr of a remote thing: what its `Like` says (src/federation/vocab/flattr-like.ts). */
export interface SentFlattr {
  likeId: string;
  period: string;
  createdAt: Date;
  withdrawnAt: Date | null;
  payerUsername: string;
  /** The flattred object's ActivityPub id. */
  objectUri: string;
  /** Its author's actor id. */
  authorUri: string;
}

const LIKE_ID = /^[0-9a-f]{32}$/;

/**
 * The flattr whose `Like` has this id, if it is one of ours that was sent (a flattr of a remote
 * thing); null for anything else, a flattr of a local thing included (no `Like` of it exists).
 */
export async function findSentFlattr(db: Db, likeId: string): Promise<SentFlattr | null> {
  if (!LIKE_ID.test(likeId)) return null;
  const [row] = await queryRows<{
    period: string;
    created_at: string | Date;
    withdrawn_at: string | Date | null;
    username: string;
    object_uri: string | null;
    author_uri: string;
  }>(
    db,
    sql`select f.period, f.created_at, f.withdrawn_at, u.username, t.object_uri,
               a.uri as author_uri
        from flattrs f
        join things t on t.id = f.thing_id
        join users u on u.id = f.payer_id
        join remote_actors a on a.id = t.remote_owner_id
        where f.like_id = ${likeId}::text and t.owner_kind = 'remote'`,
  );
  if (!row?.object_uri) return null;
  return {
    likeId,
    period: row.period,
    createdAt: new Date(row.created_at),
    withdrawnAt: row.withdrawn_at === null ? null : new Date(row.withdrawn_at),
    payerUsername: row.username,
    objectUri: row.object_uri,
    authorUri: row.author_uri,
  };
}
