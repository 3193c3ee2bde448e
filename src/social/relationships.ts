import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";

/*
 * Relationships between a local user and other accounts as Mastodon's Relationship entity shows
 * them: whether the user follows each (accepted or still requested) and whether each follows
 * the user. Accounts are named by their ActivityPub id.
 */

export interface Relationship {
  following: boolean;
  requested: boolean;
  followedBy: boolean;
}

/** The user's relationship with each actor, by actor id. */
export async function relationshipsOf(
  db: Db,
  userId: number,
  actorUris: readonly string[],
): Promise<Map<string, Relationship>> {
  const out = new Map<string, Relationship>();
  const uris = [...new Set(actorUris)];
  for (const uri of uris) out.set(uri, { following: false, requested: false, followedBy: false });
  if (uris.length === 0) return out;
  const list = sql.join(
    uris.map((u) => sql`${u}::text`),
    sql`, `,
  );
  const rows = await queryRows<{ uri: string; kind: string; accepted: boolean }>(
    db,
    sql`select actor_uri as uri, 'following' as kind, accepted_at is not null as accepted
          from following where user_id = ${userId}::int8 and actor_uri in (${list})
        union all
        select actor_uri, 'follower', true
          from followers where user_id = ${userId}::int8 and actor_uri in (${list})`,
  );
  for (const r of rows) {
    const rel = out.get(r.uri);
    if (!rel) continue;
    if (r.kind === "follower") rel.followedBy = true;
    else if (r.accepted) rel.following = true;
    else rel.requested = true;
  }
  return out;
}
