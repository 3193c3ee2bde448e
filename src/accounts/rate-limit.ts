import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { queryRows } from "../db/client.ts";
import { rateLimits } from "../db/schema/index.ts";

export interface RateLimit {
  max: number;
  windowSeconds: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Hits in the current window, this one included. */
  count: number;
  /** Seconds until the window ends (for Retry-After). */
  retryAfterSeconds: number;
}

/**
 * Counts one hit against `key` in a fixed window aligned to multiples of the window length, and
 * says whether it is within the limit. One upsert, so concurrent hits from several web
 * processes are all counted. A stored window newer than ours (clock skew between processes)
 * is kept rather than reset.
 */
export async function hitRateLimit(
  db: Db,
  clock: Clock,
  key: string,
  limit: RateLimit,
): Promise<RateLimitResult> {
  const now = clock.now().getTime();
  const windowMs = limit.windowSeconds * 1000;
  const windowStart = Math.floor(now / windowMs) * windowMs;
  const rows = await queryRows<{ count: number; window_start: string }>(
    db,
    sql`insert into ${rateLimits} (key, window_start, count)
        values (${key}, ${new Date(windowStart).toISOString()}::timestamptz, 1)
        on conflict (key) do update set
          count = case when ${rateLimits.windowStart} >= excluded.window_start
                       then ${rateLimits.count} + 1 else 1 end,
          window_start = greatest(${rateLimits.windowStart}, excluded.window_start)
        returning count, (extract(epoch from window_start) * 1000)::int8::text as window_start`,
  );
  const row = rows[0]!;
  const count = Number(row.count);
  const end = Number(row.window_start) + windowMs;
  return {
    allowed: count <= limit.max,
    count,
    retryAfterSeconds: Math.max(1, Math.ceil((end - now) / 1000)),
  };
}

/** Forgets a key (e.g. the failure counter after a successful login). */
export async function resetRateLimit(db: Db, key: string): Promise<void> {
  await db.execute(sql`delete from ${rateLimits} where key = ${key}`);
}

/**
 * Takes back one hit (never below zero): for attempts that turned out not to be what the limit
 * counts, e.g. a sign-up refused because the name was taken, or a login that succeeded.
 */
export async function refundRateLimit(db: Db, key: string): Promise<void> {
  await db.execute(
    sql`update ${rateLimits} set count = greatest(${rateLimits.count} - 1, 0) where key = ${key}`,
  );
}

/** Drops counters whose window ended more than `olderThanSeconds` ago. */
export async function pruneRateLimits(
  db: Db,
  clock: Clock,
  olderThanSeconds = 86400,
): Promise<void> {
  const cutoff = new Date(clock.now().getTime() - olderThanSeconds * 1000).toISOString();
  await db.execute(sql`delete from ${rateLimits} where window_start < ${cutoff}::timestamptz`);
}

export const signupRateKey = (ip: string) => `signup:${ip}`;
/** Failed logins from one address, whatever names they try. */
export const loginIpRateKey = (ip: string) => `login-ip:${ip}`;
/**
 * Failed logins from one address against one account: keyed by the account's id when the
 * identifier names one, so its username and its e-mail share one budget; by the identifier
 * otherwise (names that do not exist cost a password hash too).
 */
export const loginRateKey = (ip: string, account: number | string) =>
  typeof account === "number"
    ? `login:${ip}:#${account}`
    : `login:${ip}:${account.trim().toLowerCase()}`;
