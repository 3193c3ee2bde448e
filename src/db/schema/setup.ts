import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One-time links that create the first administrator (src/accounts/setup.ts). Only the SHA-256 of
 * a token is stored; the link itself appears once, in the log of the server start that made it.
 * All rows are deleted as soon as an administrator exists.
 */
export const setupTokens = pgTable("setup_tokens", {
  tokenHash: text("token_hash").primaryKey(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});
