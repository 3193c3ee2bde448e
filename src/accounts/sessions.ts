import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, gt, isNull, lte, ne } from "drizzle-orm";
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
  browser = "",
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters
  const userAgent = [...browser.replace(/[\u0000-\u001f\u007f-\u009f]/g, "")]
    .slice(0, 200)
    .join("");
  await db
    .insert(sessions)
    .values({ tokenHash: hashSessionToken(token), userId, createdAt: now, expiresAt, userAgent });
  return { token, expiresAt };
}

/** A session as its owner sees it in the list; `id` is the stored hash, never the cookie. */
export interface SessionInfo {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  userAgent: string;
  current: boolean;
}

/** The user's unexpired sessions, oldest first; `currentToken` marks this browser's. */
export async function listSessions(
  db: Db,
  clock: Clock,
  userId: number,
  currentToken: string | undefined,
): Promise<SessionInfo[]> {
  const current = currentToken ? hashSessionToken(currentToken) : null;
  const rows = await db
    .select({
      id: sessions.tokenHash,
      createdAt: sessions.createdAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, clock.now())))
    .orderBy(asc(sessions.createdAt), asc(sessions.tokenHash));
  return rows.map((r) => ({ ...r, current: r.id === current }));
}

/** Ends one of the user's own sessions by its id; false if it is not theirs (or gone). */
export async function endSessionById(db: Db, userId: number, id: string): Promise<boolean> {
  const gone = await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), eq(sessions.tokenHash, id)))
    .returning({ id: sessions.tokenHash });
  return gone.length > 0;
}

/** Ends every session of the user except the one with `keepToken` (none: all of them). */
export async function endOtherSessions(
  db: Db,
  userId: number,
  keepToken?: string,
): Promise<number> {
  const gone = await db
    .delete(sessions)
    .where(
      keepToken
        ? and(eq(sessions.userId, userId), ne(sessions.tokenHash, hashSessionToken(keepToken)))
        : eq(sessions.userId, userId),
    )
    .returning({ id: sessions.tokenHash });
  return gone.length;
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
      and(
        eq(sessions.tokenHash, hashSessionToken(token)),
        gt(sessions.expiresAt, clock.now()),
        isNull(users.deletedAt),
      ),
    );
  return row ?? null;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, hashSessionToken(token)));
}

export async function deleteExpiredSessions(db: Db, clock: Clock): Promise<void> {
  await db.delete(sessions).where(lte(sessions.expiresAt, clock.now()));
}
