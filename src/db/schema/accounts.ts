import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const users = pgTable(
  "users",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    username: text("username").notNull(),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    displayName: text("display_name").notNull().default(""),
    bio: text("bio").notNull().default(""),
    isAdmin: boolean("is_admin").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * Set when the account was deleted: the row stays (the ledger's history and federated copies
     * name it, and the username stays taken) but is anonymised and can never log in.
     */
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("users_username_lower").on(sql`lower(${t.username})`),
    uniqueIndex("users_email_lower").on(sql`lower(${t.email})`),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    /** SHA-256 of the cookie value: a leaked table does not leak sessions. */
    tokenHash: text("token_hash").primaryKey(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** The browser that logged in (cut to 200 characters), so a person recognises it in the list. */
    userAgent: text("user_agent").notNull().default(""),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

/**
 * What a user chose for posting and reading in apps (Mastodon's preferences): no row means the
 * defaults. There is no default visibility: posts here are public only (docs/adr/0020).
 */
export const userPreferences = pgTable(
  "user_preferences",
  {
    userId: bigint("user_id", { mode: "number" })
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Mark new posts' media sensitive (Mastodon's `source[sensitive]`). */
    defaultSensitive: boolean("default_sensitive").notNull().default(false),
    /** ISO 639 code apps preselect for new posts; null lets the app decide. */
    defaultLanguage: text("default_language"),
    /** `default` (hide media marked sensitive), `show_all`, `hide_all`. */
    expandMedia: text("expand_media").notNull().default("default"),
    /** Open posts with content warnings unfolded. */
    expandSpoilers: boolean("expand_spoilers").notNull().default(false),
  },
  (t) => [
    check("user_preferences_language", sql`${t.defaultLanguage} ~ '^[a-z]{2,3}$'`),
    check(
      "user_preferences_expand_media",
      sql`${t.expandMedia} in ('default', 'show_all', 'hide_all')`,
    ),
  ],
);

/** One-time links an administrator hands out to set a new password. */
export const passwordResets = pgTable(
  "password_resets",
  {
    /** SHA-256 of the token in the link: the table does not hold usable links. */
    tokenHash: text("token_hash").primaryKey(),
    userId: bigint("user_id", { mode: "number" })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("password_resets_user").on(t.userId)],
);

export const invites = pgTable(
  "invites",
  {
    code: text("code").primaryKey(),
    /** Null when created by an operator through the CLI. */
    createdBy: bigint("created_by", { mode: "number" }).references(() => users.id, {
      onDelete: "set null",
    }),
    usedBy: bigint("used_by", { mode: "number" }).references(() => users.id, {
      onDelete: "set null",
    }),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("invites_created_by").on(t.createdBy)],
);

/** Fixed-window counters for rate limits, shared by all web processes. */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
  },
  // For pruning old windows.
  (t) => [index("rate_limits_window_start").on(t.windowStart)],
);
