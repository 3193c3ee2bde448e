import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/*
 * Settlement summaries between admitted peers (issue 10 points 2, 3, 5; docs/PROTOCOL.md,
 * "Settlement"). One summary per (peer, period) each way, chained per peer by sequence and the
 * previous summary's hash. Delivery is driven by these rows' states, not by a queue's retries.
 */

const STATES_OUT = "'sent', 'accepted', 'rejected', 'withdrawing', 'withdrawn', 'conflict'";
const STATES_IN = "'received', 'parked', 'accepted', 'rejected', 'conflict', 'withdrawn'";

/** A summary we send a peer for the shares of one period routed to it. */
export const summariesOut = pgTable(
  "settlement_summaries_out",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    peerHost: text("peer_host").notNull(),
    period: text("period").notNull(),
    sequence: integer("sequence").notNull(),
    /** The hash of the summary with sequence - 1 to this peer; null for the first. */
    prevHash: text("prev_hash"),
    /** sha256 (hex) of the summary's canonical JSON (docs/PROTOCOL.md). */
    hash: text("hash").notNull(),
    currency: text("currency").notNull(),
    total: bigint("total", { mode: "bigint" }).notNull(),
    lineCount: integer("line_count").notNull(),
    flattrCount: integer("flattr_count").notNull(),
    linesHash: text("lines_hash").notNull(),
    state: text("state").notNull().default("sent"),
    /** The peer's answer: a reason code of a Reject (or withdrawal refusal), whether final. */
    reason: text("reason"),
    final: boolean("final"),
    message: text("message"),
    /** Deliveries made; the next one is due at next_attempt_at while the summary is unanswered. */
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
    /** When `settlements refund` returned its shares to the payers. */
    refundedAt: timestamp("refunded_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("settlement_summaries_out_period").on(t.peerHost, t.period),
    uniqueIndex("settlement_summaries_out_sequence").on(t.peerHost, t.sequence),
    index("settlement_summaries_out_due").on(t.state, t.nextAttemptAt),
    check("settlement_summaries_out_state", sql.raw(`state in (${STATES_OUT})`)),
    check("settlement_summaries_out_sequence", sql`${t.sequence} >= 1`),
  ],
);

/**
 * The lines of a summary we send, frozen when it is built: one per creator, in creator order.
 * `likeIds` for flattr lines; `claim` (the id of the receiver's announcement of the claim) for a
 * claimed pledge's line, one per claim, after the flattr lines. No foreign key to the summary
 * (ADR 0027: checked row by row, it cost more than writing 100,000 lines): they are written only
 * by buildSummary and claim-lines.ts in the transaction that inserts their summary, which is
 * deleted only there, in that transaction, when it has no lines.
 */
export const summaryLinesOut = pgTable(
  "settlement_lines_out",
  {
    summaryId: bigint("summary_id", { mode: "number" }).notNull(),
    idx: integer("idx").notNull(),
    creatorUri: text("creator_uri").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    flattrs: integer("flattrs").notNull(),
    likeIds: text("like_ids").array(),
    claim: text("claim"),
  },
  (t) => [
    primaryKey({ columns: [t.summaryId, t.idx] }),
    check("settlement_lines_out_amount", sql`${t.amount} > 0 and ${t.flattrs} > 0`),
    check("settlement_lines_out_kind", sql`(${t.likeIds} is null) <> (${t.claim} is null)`),
  ],
);

/**
 * The pages of a summary we send, written when it is built, in the same pass that hashes its lines
 * (build.ts): each page's lines (LINES_PAGE_SIZE of them, by idx) as their canonical JSON, one per
 * line and each followed by a newline, which is the text the lines hash covers and, with commas
 * for the newlines, the `lines` array the collection serves. Serving a page is then one row read,
 * not 5,000 lines turned into JSON while the peer waits for them (bench/README.md, "Fourth pass,
 * sender side", ADR 0034). Stored uncompressed (src/db/sql/summary-pages.sql): the text is
 * written once and read once or twice. A copy of settlement_lines_out, which stays the record;
 * summaries built before this table have no pages and are served from their lines.
 */
export const summaryPagesOut = pgTable(
  "settlement_pages_out",
  {
    summaryId: bigint("summary_id", { mode: "number" }).notNull(),
    page: integer("page").notNull(),
    lines: text("lines").notNull(),
  },
  (t) => [primaryKey({ columns: [t.summaryId, t.page] })],
);

/** A summary a peer sent us, kept with its raw signed body as evidence, whatever became of it. */
export const summariesIn = pgTable(
  "settlement_summaries_in",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    peerHost: text("peer_host").notNull(),
    activityId: text("activity_id").notNull(),
    /** The sender's instance actor (the Offer's actor), where answers go. */
    actorUri: text("actor_uri").notNull(),
    period: text("period").notNull(),
    sequence: integer("sequence").notNull(),
    prevHash: text("prev_hash"),
    /** The hash the sender gave; we recompute it before believing anything. */
    hash: text("hash").notNull(),
    currency: text("currency").notNull(),
    total: bigint("total", { mode: "bigint" }).notNull(),
    lineCount: integer("line_count").notNull(),
    flattrCount: integer("flattr_count").notNull(),
    linesHash: text("lines_hash").notNull(),
    linesUrl: text("lines_url").notNull(),
    /** The POST body exactly as received (HTTP-signed, with its FEP-8b32 proof). */
    raw: text("raw").notNull(),
    state: text("state").notNull().default("received"),
    reason: text("reason"),
    final: boolean("final"),
    message: text("message"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    /** Our answer (Accept/Reject) is owed while set; sent again when it is redelivered. */
    answerDueAt: timestamp("answer_due_at", { withTimezone: true }),
    answerAttempts: integer("answer_attempts").notNull().default(0),
    /** Processing attempts (a retryable failure such as lines not fetchable waits and retries). */
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("settlement_summaries_in_hash").on(t.peerHost, t.hash),
    // One accepted summary per (peer, period): a second one is a conflict, never applied.
    uniqueIndex("settlement_summaries_in_accepted")
      .on(t.peerHost, t.period)
      .where(sql`${t.state} = 'accepted'`),
    index("settlement_summaries_in_state").on(t.state),
    check("settlement_summaries_in_state", sql.raw(`state in (${STATES_IN})`)),
  ],
);

/**
 * The lines of a received summary as fetched and checked against its hash. No foreign keys
 * (ADR 0027): PostgreSQL checks one row at a time, and for 100,000 lines the two checks cost
 * about three times the insert itself. Both hold by construction: the lines are written only by
 * storeLines (summaries/process.ts) for the summary it holds the lease of, `user_id` comes from
 * the join with `users` in that same statement, and neither table's rows are ever deleted.
 */
export const summaryLinesIn = pgTable(
  "settlement_lines_in",
  {
    summaryId: bigint("summary_id", { mode: "number" }).notNull(),
    idx: integer("idx").notNull(),
    creatorUri: text("creator_uri").notNull(),
    /** The local creator the line names (null when it names nobody here: rejected `creator`). */
    userId: bigint("user_id", { mode: "number" }),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    flattrs: integer("flattrs").notNull(),
    likeIds: text("like_ids").array(),
    claim: text("claim"),
  },
  (t) => [primaryKey({ columns: [t.summaryId, t.idx] })],
);

/**
 * Transfers between us and a peer, recorded by an admin (`fediflattr clearing record`) or
 * announced by the peer's signed notice. Ours are ledger entries keyed by the reference; the
 * peer's notices are kept to show both admins the same figures.
 */
export const clearingTransfers = pgTable(
  "clearing_transfers",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    peerHost: text("peer_host").notNull(),
    /**
     * Ours: sent, we paid the peer; received, the peer paid us. A notice: the peer's own word,
     * sent, it says it paid us; received, it says it received our payment.
     */
    direction: text("direction").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    reference: text("reference").notNull(),
    /** ours: recorded here (and in the ledger); notice: what the peer says it did. */
    source: text("source").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
    /** For ours: when the peer took our notice of it (src/settlement/transfer-notices.ts). */
    notifiedAt: timestamp("notified_at", { withTimezone: true }),
    /** For ours: when the notice is next due (null: taken, or recorded before notices). */
    noticeDueAt: timestamp("notice_due_at", { withTimezone: true }),
    noticeAttempts: integer("notice_attempts").notNull().default(0),
    noticeError: text("notice_error"),
    /** For a notice: the activity as received, signed (evidence). */
    raw: text("raw"),
  },
  (t) => [
    uniqueIndex("clearing_transfers_ref").on(t.peerHost, t.source, t.direction, t.reference),
    index("clearing_transfers_notice_due")
      .on(t.noticeDueAt)
      .where(sql`${t.noticeDueAt} is not null`),
    check("clearing_transfers_direction", sql`${t.direction} in ('sent', 'received')`),
    check("clearing_transfers_source", sql`${t.source} in ('ours', 'notice')`),
    check("clearing_transfers_amount", sql`${t.amount} > 0`),
  ],
);
