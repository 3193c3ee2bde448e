import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";

/*
 * Finding accounts by what people type in an app's search box: a username, a display name or a
 * handle (`user@host`), matched at the start, among local users and the remote actors cached
 * here. Nothing is fetched from other servers (resolving a handle is the resolve door's work).
 */

export interface AccountHit {
  userId: number | null;
  remoteActorId: bigint | null;
}

/** Escapes LIKE's wildcards so a query matches as typed. */
const likePrefix = (q: string) => `${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

export async function searchAccounts(
  db: Db,
  query: string,
  limit: number,
  ownHost: string,
): Promise<AccountHit[]> {
  const q = query.trim().replace(/^@/, "").toLowerCase().slice(0, 300);
  if (q === "") return [];
  const n = Math.max(1, Math.min(limit, 40));
  const pattern = likePrefix(q);
  const [name, host] = q.split("@");
  // `name@other.host` names nobody here; `name@` + our host names a local user.
  const local = host === undefined || host === "" || host === ownHost.toLowerCase();
  const rows = await queryRows<{ user_id: string | null; remote_actor_id: string | null }>(
    db,
    sql`(select id::text as user_id, null::text as remote_actor_id from users
          where ${local} and (lower(username) like ${likePrefix(name ?? q)}
                               or lower(display_name) like ${pattern})
          order by username limit ${n})
        union all
        (select null, id::text from remote_actors
          where gone_at is null and (lower(handle) like ${pattern} or lower(name) like ${pattern})
          order by handle limit ${n})`,
  );
  return rows.slice(0, n).map((r) => ({
    userId: r.user_id === null ? null : Number(r.user_id),
    remoteActorId: r.remote_actor_id === null ? null : BigInt(r.remote_actor_id),
  }));
}
