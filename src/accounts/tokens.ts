import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import { type Db, queryRows } from "../db/client.ts";
import { accessTokens, users } from "../db/schema/index.ts";
import { AccountError } from "./errors.ts";
import type { AccountSummary } from "./sessions.ts";

/*
 * Personal access tokens for the REST API. The plaintext is returned once by createToken and never
 * stored (only its SHA-256): 32 random bytes have all the entropy a hash needs, so no salt or slow
 * hash. The prefix tells bearer resolvers (and secret scanners) which tokens are ours.
 */

export type TokenScope = "read" | "write";
export const TOKEN_SCOPES: readonly TokenScope[] = ["read", "write"];
export const TOKEN_PREFIX = "ffpat_";
export const MAX_TOKEN_NAME_LENGTH = 100;
/** last_used_at is written at most this often per token, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface AccessToken {
  id: number;
  userId: number;
  name: string;
  scopes: TokenScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface TokenUser extends AccountSummary {
  tokenId: number;
  scopes: TokenScope[];
}

const TOKEN_PATTERN = /^ffpat_[A-Za-z0-9_-]{43}$/;

export function hashAccessToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function cleanName(raw: string): string {
  const name = raw.trim().replace(/\s+/g, " ");
  if (name === "") throw new AccountError("invalid", "Give the token a name.", "name");
  if ([...name].length > MAX_TOKEN_NAME_LENGTH)
    throw new AccountError(
      "invalid",
      `The name is longer than ${MAX_TOKEN_NAME_LENGTH} characters.`,
      "name",
    );
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f)
      throw new AccountError("invalid", "The name contains control characters.", "name");
  }
  return name;
}

function cleanScopes(scopes: readonly string[]): TokenScope[] {
  const set = new Set(scopes);
  if (set.size === 0)
    throw new AccountError("invalid", "A token needs at least one scope.", "scopes");
  for (const s of set)
    if (!(TOKEN_SCOPES as readonly string[]).includes(s))
      throw new AccountError("invalid", `Unknown scope "${s}" (read, write).`, "scopes");
  return TOKEN_SCOPES.filter((s) => set.has(s));
}

const columns = {
  id: accessTokens.id,
  userId: accessTokens.userId,
  name: accessTokens.name,
  scopes: accessTokens.scopes,
  createdAt: accessTokens.createdAt,
  lastUsedAt: accessTokens.lastUsedAt,
  revokedAt: accessTokens.revokedAt,
};

const toToken = (r: {
  id: number;
  userId: number;
  name: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): AccessToken => ({ ...r, scopes: r.scopes as TokenScope[] });

/** A new token; `token` is the plaintext, shown to the person once and stored nowhere. */
export async function createToken(
  db: Db,
  clock: Clock,
  userId: number,
  input: { name: string; scopes?: readonly string[] },
): Promise<{ token: string; accessToken: AccessToken }> {
  const name = cleanName(input.name);
  const scopes = cleanScopes(input.scopes ?? ["read", "write"]);
  const exists = await queryRows(db, sql`select 1 from users where id = ${userId}::int8`);
  if (exists.length === 0) throw new AccountError("not_found", "No such user.");
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const [row] = await db
    .insert(accessTokens)
    .values({ userId, name, scopes, tokenHash: hashAccessToken(token), createdAt: clock.now() })
    .returning(columns);
  return { token, accessToken: toToken(row!) };
}

/** The user and scopes of a valid, unrevoked token, or null. Notes when it was last used. */
export async function verifyToken(db: Db, clock: Clock, token: string): Promise<TokenUser | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [row] = await db
    .select({
      tokenId: accessTokens.id,
      scopes: accessTokens.scopes,
      lastUsedAt: accessTokens.lastUsedAt,
      id: users.id,
      username: users.username,
      displayName: users.displayName,
      isAdmin: users.isAdmin,
    })
    .from(accessTokens)
    .innerJoin(users, eq(users.id, accessTokens.userId))
    .where(and(eq(accessTokens.tokenHash, hashAccessToken(token)), isNull(accessTokens.revokedAt)));
  if (!row) return null;
  const now = clock.now();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.update(accessTokens).set({ lastUsedAt: now }).where(eq(accessTokens.id, row.tokenId));
  }
  const { lastUsedAt: _, ...user } = row;
  return { ...user, scopes: row.scopes as TokenScope[] };
}

/** The user's tokens, newest first, revoked ones included. */
export async function listTokens(db: Db, userId: number): Promise<AccessToken[]> {
  const rows = await db
    .select(columns)
    .from(accessTokens)
    .where(eq(accessTokens.userId, userId))
    .orderBy(desc(accessTokens.id));
  return rows.map(toToken);
}

/** Revokes one of the user's tokens; false when there is no such (unrevoked) token of theirs. */
export async function revokeToken(
  db: Db,
  clock: Clock,
  userId: number,
  tokenId: number,
): Promise<boolean> {
  if (!Number.isSafeInteger(tokenId) || tokenId < 1) return false;
  const rows = await db
    .update(accessTokens)
    .set({ revokedAt: clock.now() })
    .where(
      and(
        eq(accessTokens.id, tokenId),
        eq(accessTokens.userId, userId),
        isNull(accessTokens.revokedAt),
      ),
    )
    .returning({ id: accessTokens.id });
  return rows.length > 0;
}
