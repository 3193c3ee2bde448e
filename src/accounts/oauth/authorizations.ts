import { sql } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import { type Db, queryRows } from "../../db/client.ts";
import { normalizeScopes, type Scope } from "./scopes.ts";

/** An app as the user authorized it: every live token of theirs for it, taken together. */
export interface AuthorizedApp {
  appId: number;
  name: string;
  website: string | null;
  scopes: Scope[];
  /** When the first live token was issued. */
  authorizedAt: Date;
  lastUsedAt: Date | null;
  tokens: number;
}

/** The apps that hold live tokens for the user, most recently authorized first. */
export async function listAuthorizedApps(db: Db, userId: number): Promise<AuthorizedApp[]> {
  const rows = await queryRows<{
    app_id: string;
    name: string;
    website: string | null;
    scopes: string;
    authorized_at: string;
    last_used_at: string | null;
    tokens: string;
  }>(
    db,
    sql`select a.id::text as app_id, a.name, a.website,
               string_agg(array_to_string(t.scopes, ' '), ' ') as scopes,
               (extract(epoch from min(t.created_at)) * 1000)::int8::text as authorized_at,
               (extract(epoch from max(t.last_used_at)) * 1000)::int8::text as last_used_at,
               count(*)::text as tokens
        from access_tokens t join oauth_apps a on a.id = t.app_id
        where t.user_id = ${userId}::int8 and t.revoked_at is null
        group by a.id, a.name, a.website
        order by max(t.created_at) desc, a.id desc`,
  );
  return rows.map((r) => ({
    appId: Number(r.app_id),
    name: r.name,
    website: r.website,
    scopes: normalizeScopes(r.scopes.split(" ")),
    authorizedAt: new Date(Number(r.authorized_at)),
    lastUsedAt: r.last_used_at === null ? null : new Date(Number(r.last_used_at)),
    tokens: Number(r.tokens),
  }));
}

/**
 * Revokes every live token the user gave `appId` (and unused codes, so a pending authorization
 * cannot bring it back); the number of tokens revoked, 0 when the app held none.
 */
export async function revokeAppForUser(
  db: Db,
  clock: Clock,
  userId: number,
  appId: number,
): Promise<number> {
  if (!Number.isSafeInteger(appId) || appId < 1) return 0;
  const now = clock.now().toISOString();
  return db.transaction(async (tx) => {
    await queryRows(
      tx as Db,
      sql`update oauth_codes set used_at = ${now}::timestamptz
          where user_id = ${userId}::int8 and app_id = ${appId}::int8 and used_at is null`,
    );
    const revoked = await queryRows<{ id: string }>(
      tx as Db,
      sql`update access_tokens set revoked_at = ${now}::timestamptz
          where user_id = ${userId}::int8 and app_id = ${appId}::int8 and revoked_at is null
          returning id::text as id`,
    );
    return revoked.length;
  });
}
