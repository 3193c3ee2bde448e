import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/**
 * Personal access tokens for the REST API (src/accounts/tokens.ts). Only the SHA-256 of a token is
 * stored: the plaintext is shown once at creation. Revoked tokens stay (revoked_at) so the
 * settings page can show what existed and when it was last used.
 */
export const accessTokens = pgTable(
  "access_tokens",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** Subset of {read, write}; "write" does not imply "read". */
    scopes: text("scopes").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("access_tokens_hash").on(t.tokenHash),
    index("access_tokens_user").on(t.userId),
    check(
      "access_tokens_scopes",
      sql`cardinality(${t.scopes}) > 0 and ${t.scopes} <@ array['read', 'write']::text[]`,
    ),
    check("access_tokens_name", sql`length(${t.name}) between 1 and 100`),
  ],
);
