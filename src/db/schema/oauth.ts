import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { accessTokens } from "./tokens.ts";

/**
 * OAuth 2 clients registered through `POST /api/v1/apps` (src/accounts/oauth/apps.ts). Anyone may
 * register one, without an account, as on Mastodon; only the SHA-256 of the client secret is
 * kept. `scopes` are the most a token of this app may ever get.
 */
export const oauthApps = pgTable(
  "oauth_apps",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    clientId: text("client_id").notNull(),
    clientSecretHash: text("client_secret_hash").notNull(),
    name: text("name").notNull(),
    website: text("website"),
    redirectUris: text("redirect_uris").array().notNull(),
    scopes: text("scopes").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("oauth_apps_client_id").on(t.clientId),
    check("oauth_apps_name", sql`length(${t.name}) between 1 and 200`),
    check("oauth_apps_redirect_uris", sql`cardinality(${t.redirectUris}) between 1 and 20`),
    check("oauth_apps_scopes", sql`cardinality(${t.scopes}) > 0`),
  ],
);

/**
 * Authorization codes: single-use, short-lived, bound to one app, redirect URI and user, with
 * the PKCE challenge the client sent. Only the code's SHA-256 is kept. `used_at` marks a code
 * spent and `token_id` the token it produced, so that a second use can revoke that token
 * (RFC 6749 §4.1.2). Spent and expired codes are deleted by housekeeping after a day.
 */
export const oauthCodes = pgTable(
  "oauth_codes",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    codeHash: text("code_hash").notNull(),
    appId: bigint("app_id", { mode: "number" })
      .notNull()
      .references(() => oauthApps.id, { onDelete: "cascade" }),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    redirectUri: text("redirect_uri").notNull(),
    /** Whether the authorization request named the redirect URI (then the token request must). */
    redirectUriGiven: boolean("redirect_uri_given").notNull(),
    scopes: text("scopes").array().notNull(),
    codeChallenge: text("code_challenge"),
    codeChallengeMethod: text("code_challenge_method"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    tokenId: bigint("token_id", { mode: "number" }).references(() => accessTokens.id, {
      onDelete: "set null",
    }),
  },
  (t) => [
    uniqueIndex("oauth_codes_hash").on(t.codeHash),
    index("oauth_codes_expires").on(t.expiresAt),
    check(
      "oauth_codes_pkce",
      sql`(${t.codeChallenge} is null) = (${t.codeChallengeMethod} is null)
          and (${t.codeChallengeMethod} is null or ${t.codeChallengeMethod} in ('S256', 'plain'))`,
    ),
  ],
);
