import { bigint, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Fedify's KvStore (src/federation/kv-store.ts). Keys are the JSON of Fedify's key arrays, so a
 * prefix scan is a LIKE on the JSON text. Values are JSON text, not jsonb: they round-trip
 * exactly, and jsonb would refuse remote documents that contain "\u0000".
 */
export const fedifyKv = pgTable(
  "fedify_kv",
  {
    key: text("key").primaryKey(),
    value: text("value").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
  },
  (t) => [index("fedify_kv_expires").on(t.expiresAt)],
);

/**
 * Fedify's MessageQueue (src/federation/message-queue.ts), the transactional outbox. Rows are
 * claimed FOR UPDATE SKIP LOCKED with a lease (`locked_until`) and deleted once handled.
 * `attempts` counts claims and doubles as the lease token. The message is JSON text (see above).
 */
export const fedifyQueue = pgTable(
  "fedify_queue",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** Several logical queues (e.g. inbox and outbox) may share the table. */
    channel: text("channel").notNull().default("default"),
    message: text("message").notNull(),
    orderingKey: text("ordering_key"),
    availableAt: timestamp("available_at", { withTimezone: true }).notNull().defaultNow(),
    attempts: integer("attempts").notNull().default(0),
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("fedify_queue_available").on(t.channel, t.availableAt, t.id),
    index("fedify_queue_ordering").on(t.channel, t.orderingKey, t.id),
  ],
);

/** Key pairs of local actors (users and the instance actor), generated once. */
export const actorKeys = pgTable(
  "actor_keys",
  {
    /** Username, or "" for the instance actor. */
    actor: text("actor").notNull(),
    type: text("type").notNull(), // "RSASSA-PKCS1-v1_5" | "Ed25519"
    privateKey: jsonb("private_key").notNull(),
    publicKey: jsonb("public_key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("actor_keys_actor").on(t.actor, t.type)],
);
