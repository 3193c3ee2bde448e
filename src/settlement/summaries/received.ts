import { and, desc, eq, sql } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Db } from "../../db/client.ts";
import { summariesIn } from "../../db/schema/index.ts";
import { type SummaryFields, summaryHash } from "./canonical.ts";
import type { RejectReason } from "./reasons.ts";

/*
 * Summaries peers send us, as received (issue 10 point 3). The federation inbox verifies the HTTP
 * signature, the proof and the signer (the peer's instance actor) and calls `recordReceived`,
 * which keeps the raw body as evidence, whatever comes of it; `processReceived`
 * (process.ts) decides later, in the worker. Receipt is idempotent by (peer, hash): the same
 * summary again changes nothing and is answered again.
 */

export type SummaryIn = typeof summariesIn.$inferSelect;

export interface ReceivedSummary {
  peerHost: string;
  activityId: string;
  actorUri: string;
  fields: SummaryFields;
  /** The hash the sender stated. */
  hash: string;
  linesUrl: string;
  raw: string;
}

export type Receipt =
  | { kind: "new"; summary: SummaryIn }
  | { kind: "again"; summary: SummaryIn }
  | { kind: "refused"; summary: SummaryIn };

/** A received summary's columns as the message states them (its state is the caller's). */
function rowOf(s: ReceivedSummary) {
  const f = s.fields;
  return {
    peerHost: s.peerHost,
    activityId: s.activityId,
    actorUri: s.actorUri,
    period: f.period,
    sequence: f.sequence,
    prevHash: f.previous,
    hash: s.hash,
    currency: f.currency,
    total: f.total,
    lineCount: f.lineCount,
    flattrCount: f.flattrCount,
    linesHash: f.linesHash,
    linesUrl: s.linesUrl,
    raw: s.raw,
  };
}

/**
 * Keeps a summary a peer sent. A stated hash that does not match its fields is refused `total`
 * at once (kept as evidence, answered); a different summary for a (peer, period) we accepted is
 * a `conflict`, kept and answered, never applied.
 */
export async function recordReceived(db: Db, clock: Clock, s: ReceivedSummary): Promise<Receipt> {
  const now = clock.now();
  const f = s.fields;
  const computed = summaryHash(f);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`summary-in:${s.peerHost}`}))`);
    const [same] = await tx
      .select()
      .from(summariesIn)
      .where(and(eq(summariesIn.peerHost, s.peerHost), eq(summariesIn.hash, s.hash)));
    if (same) {
      // Answered already: answer again. Not yet decided: it is being worked on.
      if (same.decidedAt !== null) {
        await tx.update(summariesIn).set({ answerDueAt: now }).where(eq(summariesIn.id, same.id));
      }
      return { kind: "again", summary: same };
    }
    let state: SummaryIn["state"] = "received";
    let reason: RejectReason | null = null;
    let message: string | null = null;
    if (computed !== s.hash) {
      state = "rejected";
      reason = "total";
      message = "The summary's hash does not match its fields.";
    } else {
      const [accepted] = await tx
        .select({ hash: summariesIn.hash })
        .from(summariesIn)
        .where(
          and(
            eq(summariesIn.peerHost, s.peerHost),
            eq(summariesIn.period, f.period),
            eq(summariesIn.state, "accepted"),
          ),
        );
      if (accepted) {
        state = "conflict";
        reason = "conflict";
        message = `A different summary for ${f.period} was accepted already (${accepted.hash.slice(0, 16)}…); this one is never applied.`;
      }
    }
    const decided = state !== "received";
    const [row] = await tx
      .insert(summariesIn)
      .values({
        ...rowOf(s),
        state,
        reason,
        final: decided ? true : null,
        message,
        receivedAt: now,
        decidedAt: decided ? now : null,
        answerDueAt: decided ? now : null,
        nextAttemptAt: decided ? null : now,
      })
      .returning();
    return { kind: decided ? "refused" : "new", summary: row! };
  });
}

/** Received summaries, newest first (the admin page and `fediflattr settlements`). */
export async function listReceived(db: Db, peerHost?: string): Promise<SummaryIn[]> {
  return db
    .select()
    .from(summariesIn)
    .where(peerHost ? eq(summariesIn.peerHost, peerHost) : undefined)
    .orderBy(desc(summariesIn.receivedAt), desc(summariesIn.id))
    .limit(500);
}

/** Summaries waiting for a decision whose next attempt is due. */
export async function dueReceived(db: Db, now: Date, limit = 10): Promise<SummaryIn[]> {
  return db
    .select()
    .from(summariesIn)
    .where(
      sql`${summariesIn.state} in ('received', 'parked')
          and ${summariesIn.nextAttemptAt} <= ${now.toISOString()}::timestamptz`,
    )
    .orderBy(summariesIn.sequence, summariesIn.id)
    .limit(limit);
}

/** How long a worker may take to decide a summary before another may try (a crash mid-way). */
export const DECIDE_LEASE_MS = 10 * 60_000;

/**
 * Takes a due summary for this worker to decide: one atomic UPDATE moves its next attempt past
 * now, so a second worker (or a second round in the same process) that read it as due too gets
 * false and leaves it alone. Without it, two rounds fetched and stored the same summary's lines
 * at once and collided on them. The decision then sets the next attempt for real; a worker that
 * dies holding the lease only delays the summary by DECIDE_LEASE_MS.
 */
export async function leaseReceived(db: Db, now: Date, id: number): Promise<boolean> {
  const taken = await db
    .update(summariesIn)
    .set({ nextAttemptAt: new Date(now.getTime() + DECIDE_LEASE_MS) })
    .where(
      sql`${summariesIn.id} = ${id} and ${summariesIn.state} in ('received', 'parked')
          and ${summariesIn.nextAttemptAt} <= ${now.toISOString()}::timestamptz`,
    )
    .returning({ id: summariesIn.id });
  return taken.length === 1;
}

/** Summaries whose answer is owed now. */
export async function answersDue(db: Db, now: Date, limit = 20): Promise<SummaryIn[]> {
  return db
    .select()
    .from(summariesIn)
    .where(sql`${summariesIn.answerDueAt} <= ${now.toISOString()}::timestamptz`)
    .orderBy(summariesIn.answerDueAt)
    .limit(limit);
}

/** An answer went out (or failed: then it is tried again with backoff). */
export async function recordAnswerSent(
  db: Db,
  now: Date,
  id: number,
  error: string | null,
): Promise<void> {
  await db
    .update(summariesIn)
    .set(
      error === null
        ? { answerDueAt: null, answerAttempts: sql`${summariesIn.answerAttempts} + 1` }
        : {
            answerAttempts: sql`${summariesIn.answerAttempts} + 1`,
            answerDueAt: sql`${now.toISOString()}::timestamptz + least(interval '6 hours', interval '30 seconds' * power(2, ${summariesIn.answerAttempts}))`,
          },
    )
    .where(eq(summariesIn.id, id));
}

/**
 * The peer withdraws its summary (an `Undo` of its `Offer`, which it embeds whole): granted
 * unless we accepted it, and then it is never accepted — also when the withdrawal arrives before
 * the summary itself (it is kept as withdrawn). Either way an answer is owed: for an accepted
 * summary its Accept again, else the confirmation.
 */
export async function recordWithdrawal(
  db: Db,
  clock: Clock,
  s: ReceivedSummary,
): Promise<SummaryIn> {
  const now = clock.now();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`summary-in:${s.peerHost}`}))`);
    const [same] = await tx
      .select()
      .from(summariesIn)
      .where(and(eq(summariesIn.peerHost, s.peerHost), eq(summariesIn.hash, s.hash)));
    if (same) {
      const granted = same.state !== "accepted";
      const [row] = await tx
        .update(summariesIn)
        .set(
          granted
            ? {
                state: "withdrawn",
                reason: null,
                message: "Withdrawn by the sender.",
                decidedAt: same.decidedAt ?? now,
                nextAttemptAt: null,
                answerDueAt: now,
              }
            : { answerDueAt: now },
        )
        .where(eq(summariesIn.id, same.id))
        .returning();
      return row!;
    }
    const [row] = await tx
      .insert(summariesIn)
      .values({
        ...rowOf(s),
        state: "withdrawn",
        message: "Withdrawn by the sender before it arrived.",
        receivedAt: now,
        decidedAt: now,
        answerDueAt: now,
      })
      .returning();
    return row!;
  });
}
