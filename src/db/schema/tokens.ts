import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { oauthApps } from "./oauth.ts";

/**
 * Every scope a token may carry: Mastodon's (docs.joinmastodon.org/api/oauth-scopes), of which
 * the REST API's `read` and `write` are the top two. The storage's own list, so the check below
 * and src/accounts/oauth/scopes.ts cannot disagree.
 */
export const TOKEN_SCOPE_VALUES = [
  "read",
  "read:accounts",
  "read:blocks",
  "read:bookmarks",
  "read:favourites",
  "read:filters",
  "read:follows",
  "read:lists",
  "read:mutes",
  "read:notifications",
  "read:search",
  "read:statuses",
  "write",
  "write:accounts",
  "write:blocks",
  "write:bookmarks",
  "write:conversations",
  "write:favourites",
  "write:filters",
  "write:follows",
  "write:lists",
  "write:media",
  "write:mutes",
  "write:notifications",
  "write:reports",
  "write:statuses",
  "follow",
  "push",
  "profile",
] as const;

const scopeArray = sql.raw(`array[${TOKEN_SCOPE_VALUES.map((s) => `'${s}'`).join(", ")}]::text[]`);

/**
 * One table for every bearer token (ADR 0008): personal access tokens (app_id null, made on
 * /settings/tokens or by the CLI), OAuth tokens of a user (app_id and user_id) and app-only
 * tokens of the client_credentials grant (user_id null). So the REST API and the Mastodon API
 * accept each other's tokens, and the flattr statement checks any of them by hash in one step
 * (ADR 0005). Only the SHA-256 of a token is stored: the plaintext is shown once. Revoked tokens
 * stay (revoked_at) so the settings pages can show what existed and when it was last used.
 */
export const accessTokens = pgTable(
  "access_tokens",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" }).references(() => users.id, {
      onDelete: "cascade",
    }),
    /** The OAuth app the token was issued to; null for a personal access token. */
    appId: bigint("app_id", { mode: "number" }).references(() => oauthApps.id, {
      onDelete: "cascade",
    }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** Scopes as granted; `read` and `write` cover their `read:*` / `write:*` (scopes.ts). */
    scopes: text("scopes").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("access_tokens_hash").on(t.tokenHash),
    index("access_tokens_user").on(t.userId),
    index("access_tokens_app").on(t.appId),
    check(
      "access_tokens_scopes",
      sql`cardinality(${t.scopes}) > 0 and ${t.scopes} <@ ${scopeArray}`,
    ),
    check("access_tokens_name", sql`length(${t.name}) between 1 and 100`),
    check("access_tokens_owner", sql`${t.userId} is not null or ${t.appId} is not null`),
    // An app-only token acts for nobody, so it only reads: never `write` (which the flattr
    // statement, flattr_request, takes as leave to flattr for the token's user) nor any write:*.
    check(
      "access_tokens_app_only_reads",
      sql`${t.userId} is not null
          or array_to_string(${t.scopes}, ' ') !~ '(^| )(write|follow|push)'`,
    ),
  ],
);
