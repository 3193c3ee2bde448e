import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lte } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { sessions, users } from "../db/schema/index.ts";

/** What a request knows about its user; `SessionUser` in src/web/env.ts has this shape. */
export interface AccountSummary {
  id: number;
  username: string;
  displayName: string;
  isAdmin: boolean;
}

export const SESSION_TTL_SECONDS = 30 * 24 * 3600;

/** Only the hash is stored: reading the table does not let anyone log in. */
export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new session; the returned token goes into the cookie and nowhere else. */
export async function createSession(
  db: Db,
  clock: Clock,
  userId: number,
  ttlSeconds = SESSION_TTL_SECONDS,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await db
    .insert(sessions)
    .values({ tokenHash: hashSessionToken(token), userId, createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** The user of an unexpired session, or null. */
export async function findSessionUser(
  db: Db,
  clock: Clock,
  token: string,
): Promise<AccountSummary | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const [row] = await db
    .select({
      id: users.id,
      username: users.username,
      displayName: users.displayName,
      isAdmin: users.isAdmin,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(eq(sessions.tokenHash, hashSessionToken(token)), gt(sessions.expiresAt, clock.now())),
    );
  return row ?? null;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, hashSessionToken(token)));
}

/** Logs a user out everywhere (e.g. after a password change). */
export async function deleteExpiredSessions(db: Db, clock: Clock): Promise<void> {
  await db.delete(sessions).where(lte(sessions.expiresAt, clock.now()));
}
