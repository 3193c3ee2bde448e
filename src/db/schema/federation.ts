import { bigint, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Fedify's KvStore. Keys are the JSON of Fedify's key arrays, so prefix scans are LIKE queries. */
export const fedifyKv = pgTable(
  "fedify_kv",
  {
    key: text("key").primaryKey(),
    value: jsonb("value").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
  },
  (t) => [index("fedify_kv_expires").on(t.expiresAt)],
);

/** Fedify's MessageQueue: the transactional outbox. Rows are claimed FOR UPDATE SKIP LOCKED. */
export const fedifyQueue = pgTable(
  "fedify_queue",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    message: jsonb("message").notNull(),
    orderingKey: text("ordering_key"),
    availableAt: timestamp("available_at", { withTimezone: true }).notNull().defaultNow(),
    attempts: integer("attempts").notNull().default(0),
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("fedify_queue_available").on(t.availableAt, t.id)],
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
