import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { currentPeriod } from "./current-period.ts";
import { FlattrError } from "./errors.ts";
import { assertPeriodOpen, lockPeriodShared } from "./period-lock.ts";

export interface Flattr {
  id: number;
  thingId: number;
  payerId: number;
  period: string;
  createdAt: Date;
}

interface FlattrRow extends Record<string, unknown> {
  id: string;
  thing_id: string;
  payer_id: string;
  period: string;
  created_at: string | Date;
}

const toFlattr = (r: FlattrRow): Flattr => ({
  id: Number(r.id),
  thingId: Number(r.thing_id),
  payerId: Number(r.payer_id),
  period: r.period,
  createdAt: new Date(r.created_at),
});

async function loadThing(tx: Db, thingId: number) {
  if (!Number.isSafeInteger(thingId) || thingId < 1)
    throw new FlattrError("thing_not_found", "No such thing.");
  const [thing] = await queryRows<{ owner_kind: string; owner_id: string; title: string }>(
    tx,
    sql`select owner_kind, owner_id::text as owner_id, title from things where id = ${thingId}`,
  );
  if (!thing) throw new FlattrError("thing_not_found", "No such thing.");
  return thing;
}

/**
 * Flattrs a thing in the current period (the period of clock.now() in config.timeZone). Refused
 * with a FlattrError: unknown thing, own thing, period sealed or closed, no budget, already
 * flattred this period, rate limit, per-period limit. Runs in its own transaction (a savepoint if
 * `db` is one), which must be READ COMMITTED (ADR 0002).
 */
export async function flattr(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
  thingId: number,
): Promise<Flattr> {
  const now = clock.now();
  const period = currentPeriod(clock, config, now);
  return db.transaction(async (tx) => {
    const thing = await loadThing(tx, thingId);
    if (thing.owner_kind === "local" && Number(thing.owner_id) === payerId)
      throw new FlattrError("own_thing", "You cannot flattr your own thing.");
    await lockPeriodShared(tx, period);
    await assertPeriodOpen(tx, period);

    // The budget row lock serialises one payer's flattrs, so the limits below are exact.
    const [budget] = await queryRows<{ currency: string }>(
      tx,
      sql`select currency from budgets where user_id = ${payerId} for update`,
    );
    if (!budget || budget.currency !== config.currency)
      throw new FlattrError(
        "no_budget",
        "Set a monthly budget before you flattr: your flattrs share it at the end of the month.",
      );

    const windowStart = new Date(
      now.getTime() - config.flattrRateLimit.windowSeconds * 1000,
    ).toISOString();
    const [counts] = await queryRows<{ same: string; recent: string; in_period: string }>(
      tx,
      sql`select
            count(*) filter (where thing_id = ${thingId} and period = ${period}
                             and withdrawn_at is null)::text as same,
            count(*) filter (where created_at > ${windowStart}::timestamptz)::text as recent,
            count(*) filter (where period = ${period} and withdrawn_at is null)::text as in_period
          from flattrs
          where payer_id = ${payerId}
            and (period = ${period}
                 or created_at > ${windowStart}::timestamptz)`,
    );
    if (Number(counts?.same ?? 0) > 0) throw alreadyFlattred(period);
    if (Number(counts?.recent ?? 0) >= config.flattrRateLimit.max)
      throw new FlattrError(
        "rate_limited",
        `You flattred ${config.flattrRateLimit.max} times in the last ${config.flattrRateLimit.windowSeconds} seconds; please wait a moment and try again.`,
      );
    if (Number(counts?.in_period ?? 0) >= config.maxFlattrsPerPeriod)
      throw new FlattrError(
        "period_limit",
        `You have reached the limit of ${config.maxFlattrsPerPeriod} flattrs in ${period}.`,
      );

    // The partial unique index decides races the lock above does not cover.
    const [row] = await queryRows<FlattrRow>(
      tx,
      sql`insert into flattrs (thing_id, payer_id, period, created_at)
          values (${thingId}, ${payerId}, ${period}, ${now.toISOString()}::timestamptz)
          on conflict (thing_id, payer_id, period) where withdrawn_at is null do nothing
          returning id::text, thing_id::text, payer_id::text, period, created_at`,
    );
    if (!row) throw alreadyFlattred(period);
    return toFlattr(row);
  });
}

function alreadyFlattred(period: string): FlattrError {
  return new FlattrError(
    "already_flattred",
    `You have already flattred this thing in ${period}; one flattr per thing per month.`,
  );
}

/**
 * Withdraws the payer's flattr of a thing in the current period, while that period is open. The
 * row stays, marked withdrawn; the thing can be flattred again in the same period.
 */
export async function unflattr(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
  thingId: number,
): Promise<Flattr> {
  const now = clock.now();
  const period = currentPeriod(clock, config, now);
  return db.transaction(async (tx) => {
    await loadThing(tx, thingId);
    await lockPeriodShared(tx, period);
    await assertPeriodOpen(tx, period);
    const [row] = await queryRows<FlattrRow>(
      tx,
      sql`update flattrs set withdrawn_at = ${now.toISOString()}::timestamptz
          where thing_id = ${thingId} and payer_id = ${payerId} and period = ${period}
            and withdrawn_at is null
          returning id::text, thing_id::text, payer_id::text, period, created_at`,
    );
    if (!row)
      throw new FlattrError("not_flattred", `You have not flattred this thing in ${period}.`);
    return toFlattr(row);
  });
}
