import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import { type Db, preparedRows, queryRows } from "../db/client.ts";
import { accessTokens } from "../db/schema/index.ts";
import { AccountError } from "./errors.ts";
import type { AccountSummary } from "./sessions.ts";

/*
 * Bearer tokens, one table for every kind (ADR 0008): personal access tokens (made here), OAuth
 * tokens of a user and app-only tokens (src/accounts/oauth/tokens.ts). The plaintext is returned
 * once and never stored (only its SHA-256): 32 random bytes have all the entropy a hash needs,
 * so no salt or slow hash. The prefix tells bearer resolvers (and secret scanners) which tokens
 * are ours and of which kind.
 */

export type TokenScope = "read" | "write";
const TOKEN_SCOPES: readonly TokenScope[] = ["read", "write"];
export const TOKEN_PREFIX = "ffpat_";
/** OAuth tokens acting for a user, and app-only tokens (client_credentials). */
export const OAUTH_TOKEN_PREFIX = "ffoat_";
export const APP_TOKEN_PREFIX = "ffapp_";
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
  /** Mastodon scopes for OAuth tokens (src/accounts/oauth/scopes.ts), read/write for personal ones. */
  scopes: string[];
  /** The OAuth app the token was issued to; null for a personal access token. */
  appId: number | null;
}

/** Who a valid token acts for: a user, or nobody (an app-only token). */
export interface TokenHolder {
  tokenId: number;
  scopes: string[];
  appId: number | null;
  user: AccountSummary | null;
}

const TOKEN_PATTERN = /^ff(pat|oat|app)_[A-Za-z0-9_-]{43}$/;
/** Tokens that act for a user: the ones an API flattr may check in its own statement. */
const USER_TOKEN_PATTERN = /^ff(pat|oat)_[A-Za-z0-9_-]{43}$/;

/** A new token's plaintext with the prefix of its kind. */
export function newTokenString(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

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
  const token = newTokenString(TOKEN_PREFIX);
  const [row] = await db
    .insert(accessTokens)
    .values({ userId, name, scopes, tokenHash: hashAccessToken(token), createdAt: clock.now() })
    .returning(columns);
  return { token, accessToken: toToken({ ...row!, userId: row!.userId ?? userId }) };
}

/**
 * How the database knows `token`, for statements that check it themselves (an API flattr,
 * src/db/sql/flattr-functions.sql): its hash and the last_used_at cutoff verifyToken uses; null
 * when it is not shaped like a token that acts for a user (personal or OAuth) at all. Both kinds
 * are rows of access_tokens, so the statement finds either by its hash.
 */
export function tokenCredential(
  token: string,
  now: Date,
): { tokenHash: string; stampBefore: Date } | null {
  if (!USER_TOKEN_PATTERN.test(token)) return null;
  return {
    tokenHash: hashAccessToken(token),
    stampBefore: new Date(now.getTime() - LAST_USED_RESOLUTION_MS),
  };
}

/**
 * The holder (user or none), app and scopes of a valid, unrevoked token of any kind, or null.
 * Notes when it was last used (at most once a minute per token). One statement: every API
 * request starts here, and a separate UPDATE was a second round trip and commit on most requests.
 */
export async function verifyAccessToken(
  db: Db,
  clock: Clock,
  token: string,
): Promise<TokenHolder | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const hash = hashAccessToken(token);
  const now = clock.now();
  const cutoff = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  // The stamp's WHERE is re-checked after waiting for a concurrent stamp of the same token, so
  // requests racing past the cutoff write it once. Scopes as text: the drivers parse arrays
  // differently. A user token whose user is gone has no row left (cascade).
  const [row] = await preparedRows<{
    token_id: string;
    scopes: string;
    app_id: string | null;
    id: string | null;
    username: string | null;
    display_name: string | null;
    is_admin: boolean | null;
  }>(
    db,
    "verify_access_token",
    sql`with stamp as (
          update access_tokens set last_used_at = ${now.toISOString()}::timestamptz
          where token_hash = ${hash} and revoked_at is null
            and (last_used_at is null or last_used_at <= ${cutoff.toISOString()}::timestamptz)
        )
        select t.id::text as token_id, array_to_string(t.scopes, ',') as scopes,
               t.app_id::text as app_id, u.id::text as id, u.username, u.display_name, u.is_admin
        from access_tokens t left join users u on u.id = t.user_id
        where t.token_hash = ${hash} and t.revoked_at is null`,
  );
  if (!row) return null;
  return {
    tokenId: Number(row.token_id),
    scopes: row.scopes.split(","),
    appId: row.app_id === null ? null : Number(row.app_id),
    user:
      row.id === null
        ? null
        : {
            id: Number(row.id),
            username: row.username!,
            displayName: row.display_name!,
            isAdmin: row.is_admin!,
          },
  };
}

/** The user, app and scopes of a valid token that acts for a user (not app-only), or null. */
export async function verifyToken(db: Db, clock: Clock, token: string): Promise<TokenUser | null> {
  const holder = await verifyAccessToken(db, clock, token);
  if (!holder?.user) return null;
  return { ...holder.user, tokenId: holder.tokenId, scopes: holder.scopes, appId: holder.appId };
}

/** The user's personal access tokens, newest first, revoked ones included (apps: oauth/). */
export async function listTokens(db: Db, userId: number): Promise<AccessToken[]> {
  const rows = await db
    .select(columns)
    .from(accessTokens)
    .where(and(eq(accessTokens.userId, userId), isNull(accessTokens.appId)))
    .orderBy(desc(accessTokens.id));
  return rows.map((r) => toToken({ ...r, userId }));
}

/**
 * Revokes one of the user's personal access tokens; false when there is no such (unrevoked)
 * token of theirs. An app's tokens are revoked with the app (src/accounts/oauth/authorizations.ts).
 */
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
        isNull(accessTokens.appId),
        isNull(accessTokens.revokedAt),
      ),
    )
    .returning({ id: accessTokens.id });
  return rows.length > 0;
}
