import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { flattrs } from "./flattr.ts";

/**
 * Typed outbox events (docs/adr/0009-typed-outbox-and-relay.md): what federation must tell
 * other servers about a flattr, written by the flattr statement itself (flattr_thing /
 * unflattr_thing in src/db/sql/flattr-functions.sql) in the flattr's transaction, so remote
 * flattrs keep their group commit (ADR 0005). The relay (src/federation/relay.ts) claims rows
 * FOR UPDATE SKIP LOCKED, turns each into one `sendActivity` in the same transaction and deletes
 * it: each event becomes exactly one queued delivery.
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** like: the flattr's `Like`; undo: its `Undo(Like)`. */
    kind: text("kind").notNull(),
    flattrId: bigint("flattr_id", { mode: "number" })
      .notNull()
      .references(() => flattrs.id, { onDelete: "restrict" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Failed relay attempts; the row waits until `available_at` before the next one. */
    attempts: integer("attempts").notNull().default(0),
    availableAt: timestamp("available_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
  },
  (t) => [
    index("outbox_events_available").on(t.availableAt, t.id),
    // The relay sends a flattr's events in order: an undo waits while its like is still here.
    index("outbox_events_flattr").on(t.flattrId, t.id),
    check("outbox_events_kind", sql`${t.kind} in ('like', 'undo')`),
  ],
);
