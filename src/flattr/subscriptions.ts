import { and, asc, desc, eq, gte, isNull, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { things } from "../db/schema/flattr.ts";
import { subscriptionRuns, subscriptions } from "../db/schema/subscriptions.ts";
import { DomainError, ok, type Result, refused } from "../errors.ts";
import { nextPeriod, type Period, periodLabel } from "../periods/period.ts";
import { currentPeriod } from "./current-period.ts";
import { FlattrError } from "./errors.ts";
import { flattr } from "./flattr.ts";

/*
 * Subscriptions (issue 10 point 9): "flattr this every month for 3, 6 or 12 months". The months
 * are calendar months from the one it was made in; each is flattred once, through the one flattr
 * door (flattr(): the same rules, and for a remote thing the same Like through the outbox), by
 * the worker at the start of the month (runDueSubscriptions) and for the first month at once.
 * A run row per (subscription, month), inserted in the same transaction as the flattr, makes
 * that exactly once with two workers, a rerun or a late worker. A month that could not be
 * flattred is used up all the same and its run keeps why, for the payer to see.
 */

export const SUBSCRIPTION_MONTHS = [3, 6, 12] as const;

export const SUBSCRIPTION_ERROR_CODES = [
  "invalid_months",
  "already_subscribed",
  "not_subscribed",
  "thing_not_found",
  "own_thing",
] as const;
export type SubscriptionErrorCode = (typeof SUBSCRIPTION_ERROR_CODES)[number];

export class SubscriptionError extends DomainError<SubscriptionErrorCode> {
  constructor(code: SubscriptionErrorCode, message: string) {
    super(code, message);
    this.name = "SubscriptionError";
  }
}

export interface SubscriptionRun {
  period: Period;
  /** flattred, already_flattred, or why not: a flattr refusal code. */
  outcome: string;
  message: string | null;
  ranAt: Date;
}

export interface Subscription {
  id: number;
  userId: number;
  thingId: number;
  months: number;
  firstPeriod: Period;
  lastPeriod: Period;
  createdAt: Date;
  cancelledAt: Date | null;
  /** Months run so far, oldest first. */
  runs: SubscriptionRun[];
}

function addMonths(period: Period, n: number): Period {
  let p = period;
  for (let i = 0; i < n; i++) p = nextPeriod(p);
  return p;
}

async function withRuns(db: Db, row: typeof subscriptions.$inferSelect): Promise<Subscription> {
  const runs = await db
    .select({
      period: subscriptionRuns.period,
      outcome: subscriptionRuns.outcome,
      message: subscriptionRuns.message,
      ranAt: subscriptionRuns.ranAt,
    })
    .from(subscriptionRuns)
    .where(eq(subscriptionRuns.subscriptionId, row.id))
    .orderBy(asc(subscriptionRuns.period));
  return { ...row, runs };
}

/** The payer's live subscription of a thing (not cancelled, not over), or null. */
export async function activeSubscription(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
  thingId: number,
): Promise<Subscription | null> {
  const [row] = await db
    .select()
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.userId, userId),
        eq(subscriptions.thingId, thingId),
        isNull(subscriptions.cancelledAt),
        gte(subscriptions.lastPeriod, currentPeriod(clock, config)),
      ),
    )
    .orderBy(desc(subscriptions.id))
    .limit(1);
  return row ? withRuns(db, row) : null;
}

/** The payer's subscriptions, newest first, with their things' titles. */
export async function mySubscriptions(
  db: Db,
  userId: number,
  limit = 100,
): Promise<(Subscription & { thingTitle: string })[]> {
  const rows = await db
    .select({ s: subscriptions, title: things.title })
    .from(subscriptions)
    .innerJoin(things, eq(things.id, subscriptions.thingId))
    .where(eq(subscriptions.userId, userId))
    .orderBy(desc(subscriptions.id))
    .limit(limit);
  return Promise.all(
    rows.map(async (r) => ({ ...(await withRuns(db, r.s)), thingTitle: r.title })),
  );
}

/**
 * Subscribes the payer to a thing for `months` months from this one, and runs this month at
 * once (a flattr, unless they had flattred it already). Refusals: invalid_months,
 * thing_not_found, own_thing, already_subscribed. That this month could not be flattred (no
 * budget, the period limit) is not a refusal: the subscription stands and its run says why.
 */
export async function subscribe(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
  thingId: number,
  months: number,
): Promise<Result<Subscription, SubscriptionError>> {
  if (!(SUBSCRIPTION_MONTHS as readonly number[]).includes(months))
    return refused(
      new SubscriptionError("invalid_months", "A subscription runs for 3, 6 or 12 months."),
    );
  const [thing] = Number.isSafeInteger(thingId)
    ? await db.select().from(things).where(eq(things.id, thingId))
    : [];
  if (!thing) return refused(new SubscriptionError("thing_not_found", "No such thing."));
  if (thing.ownerKind === "local" && thing.ownerId === userId)
    return refused(new SubscriptionError("own_thing", "You cannot flattr your own thing."));
  const existing = await activeSubscription(db, clock, config, userId, thingId);
  if (existing)
    return refused(
      new SubscriptionError(
        "already_subscribed",
        `You already flattr this every month until ${periodLabel(existing.lastPeriod)}; cancel that subscription first to choose another length.`,
      ),
    );
  const first = currentPeriod(clock, config);
  const [row] = await db
    .insert(subscriptions)
    .values({
      userId,
      thingId,
      months,
      firstPeriod: first,
      lastPeriod: addMonths(first, months - 1),
      createdAt: clock.now(),
    })
    .returning();
  await runSubscription(db, clock, config, row!.id, first);
  return ok(await withRuns(db, row!));
}

/** Cancels the payer's live subscription of a thing; flattrs already made stay. */
export async function cancelSubscription(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
  thingId: number,
): Promise<Result<Subscription, SubscriptionError>> {
  const live = await activeSubscription(db, clock, config, userId, thingId);
  if (!live)
    return refused(
      new SubscriptionError("not_subscribed", "You have no running subscription of this thing."),
    );
  const [row] = await db
    .update(subscriptions)
    .set({ cancelledAt: clock.now() })
    .where(and(eq(subscriptions.id, live.id), isNull(subscriptions.cancelledAt)))
    .returning();
  return ok(row ? await withRuns(db, row) : live);
}

/**
 * Runs one subscription's month, once: claims (subscription, period) and flattrs in the same
 * transaction, so the claim exists exactly when the month was handled. A second caller waits for
 * the first's claim and then finds it. The clock is frozen at the start, so the flattr lands in
 * `period` (or is refused as closed), never in the next month.
 */
export async function runSubscription(
  db: Db,
  clock: Clock,
  config: Config,
  subscriptionId: number,
  period: Period,
): Promise<SubscriptionRun | null> {
  const now = clock.now();
  const frozen: Clock = { now: () => now };
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .insert(subscriptionRuns)
      .values({ subscriptionId, period, outcome: "running", ranAt: now })
      .onConflictDoNothing()
      .returning({ subscriptionId: subscriptionRuns.subscriptionId });
    if (!claimed) return null;
    const [sub] = await tx.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId));
    if (!sub) throw new Error(`subscription ${subscriptionId} vanished`);
    let outcome = "flattred";
    let message: string | null = null;
    let flattrId: number | null = null;
    try {
      flattrId = (await flattr(tx, frozen, config, sub.userId, sub.thingId, { rateLimited: false }))
        .id;
    } catch (e) {
      if (!(e instanceof FlattrError)) throw e;
      outcome = e.code;
      message = e.code === "already_flattred" ? null : e.message;
    }
    await tx
      .update(subscriptionRuns)
      .set({ outcome, message, flattrId })
      .where(
        and(
          eq(subscriptionRuns.subscriptionId, subscriptionId),
          eq(subscriptionRuns.period, period),
        ),
      );
    return { period, outcome, message, ranAt: now };
  });
}

/**
 * The worker's part: every live subscription whose current month has not run yet is run, in id
 * order. Safe in several workers at once and to repeat; a worker that was down runs the current
 * month late (earlier months are gone: they count, with no run).
 */
export async function runDueSubscriptions(
  db: Db,
  clock: Clock,
  config: Config,
  options: { batchSize?: number } = {},
): Promise<{ ran: number; flattred: number }> {
  const period = currentPeriod(clock, config);
  const batchSize = options.batchSize ?? 500;
  let after = 0;
  let ran = 0;
  let flattred = 0;
  for (;;) {
    const due = await db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(
        and(
          isNull(subscriptions.cancelledAt),
          sql`${subscriptions.firstPeriod} <= ${period}`,
          gte(subscriptions.lastPeriod, period),
          sql`${subscriptions.id} > ${after}`,
          sql`not exists (select 1 from subscription_runs r
                          where r.subscription_id = ${subscriptions.id} and r.period = ${period})`,
        ),
      )
      .orderBy(asc(subscriptions.id))
      .limit(batchSize);
    for (const { id } of due) {
      const run = await runSubscription(db, clock, config, id, period);
      if (run) {
        ran++;
        if (run.outcome === "flattred") flattred++;
      }
      after = id;
    }
    if (due.length < batchSize) return { ran, flattred };
  }
}
