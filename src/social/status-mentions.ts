import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { profileUrl } from "../config/urls.ts";
import { type Db, preparedRows } from "../db/client.ts";

/*
 * The accounts statuses mention, as the Status entity lists them: read for a page of statuses
 * at once (mentionsOf), or inside a statement that answers a whole Status (mentionsJson).
 */

/** An account a status mentions: a local user or a remote actor we know. */
export interface StatusMention {
  userId: number | null;
  remoteActorId: bigint | null;
  /** The local username, or the part of the remote handle before the @. */
  username: string;
  /** `user@host`. */
  handle: string;
  url: string;
}

/** The mentions of these statuses whose accounts we know, by status id. */
export async function mentionsOf(
  db: Db,
  config: Config,
  ids: readonly bigint[],
): Promise<Map<bigint, StatusMention[]>> {
  const out = new Map<bigint, StatusMention[]>();
  if (ids.length === 0) return out;
  // Prepared per list length: the text depends only on it (a page has at most a few dozen).
  const rows = await preparedRows<MentionRow & { status_id: string }>(
    db,
    `mentions_of_${ids.length}`,
    sql`select m.status_id::text as status_id, m.user_id::text as user_id, u.username,
               ra.id::text as remote_actor_id, ra.handle, ra.url, m.actor_uri as uri
          from status_mentions m
          left join users u on u.id = m.user_id
          left join remote_actors ra on ra.uri = m.actor_uri
         where m.status_id in (${sql.join(
           ids.map((id) => sql`${id}::int8`),
           sql`, `,
         )}) and (u.id is not null or ra.id is not null)
         order by m.actor_uri`,
  );
  for (const r of rows) {
    const id = BigInt(r.status_id);
    out.set(id, [...(out.get(id) ?? []), mentionOf(config, r)]);
  }
  return out;
}

/** A mention as `mentionsOf` and `mentionsJson` read it. */
export type MentionRow = {
  user_id: string | null;
  username: string | null;
  remote_actor_id: string | null;
  handle: string | null;
  url: string | null;
  uri: string;
};

/** The mention of a mention row. */
export function mentionOf(config: Config, r: MentionRow): StatusMention {
  return r.username !== null
    ? {
        userId: Number(r.user_id),
        remoteActorId: null,
        username: r.username,
        handle: `${r.username}@${config.origin.host}`,
        url: profileUrl(config, r.username),
      }
    : {
        userId: null,
        remoteActorId: BigInt(r.remote_actor_id!),
        username: r.handle ? r.handle.split("@")[0]! : r.uri,
        handle: r.handle ?? r.uri,
        url: r.url ?? r.uri,
      };
}

/**
 * The mentions of status `s` whose accounts we know, as a JSON array of `MentionRow`s in
 * `mentionsOf`'s order: for a statement that answers a whole Status (the star's). Most statuses
 * mention nobody: a probe of the index first spares them the ordered aggregate, whose sort is set
 * up on every call even for no rows (docs/adr/0039).
 */
export const mentionsJson = sql.raw(`(case when exists (select 1 from status_mentions m
                                          where m.status_id = s.id)
        then (select coalesce(json_agg(json_build_object(
             'user_id', m.user_id::text, 'username', u.username,
             'remote_actor_id', ra.id::text, 'handle', ra.handle, 'url', ra.url,
             'uri', m.actor_uri) order by m.actor_uri), '[]')
        from status_mentions m
        left join users u on u.id = m.user_id
        left join remote_actors ra on ra.uri = m.actor_uri
       where m.status_id = s.id and (u.id is not null or ra.id is not null))
        else '[]'::json end)`);
