import { getLogger } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import {
  hasEnded,
  type Period,
  periodBounds,
  periodOf,
  previousPeriod,
} from "../periods/period.ts";
import { type Repeating, repeatEvery } from "../schedule.ts";
import { type CloseResult, closePeriod, statsToJson } from "./close.ts";

const logger = getLogger(["fediflattr", "settlement", "close"]);

/** The most recent period that has ended at `now` (the month before the current one). */
export function lastEndedPeriod(now: Date, timeZone: string): Period {
  return previousPeriod(periodOf(now, timeZone));
}

/**
 * Periods due for closing at `now`: ended at least `closeGraceSeconds` ago and not closed yet —
 * the last ended period, plus any older one that still has open flattrs (a worker that was down
 * for months catches up, oldest first).
 */
export async function duePeriods(db: Db, clock: Clock, config: Config): Promise<Period[]> {
  const now = clock.now();
  const current = periodOf(now, config.timeZone);
  // Distinct periods by a loose index scan: one probe per period, not a scan of all flattrs.
  const rows = await queryRows<{ period: string }>(
    db,
    sql`with recursive p(period) as (
          (select period from flattrs where withdrawn_at is null order by period limit 1)
          union all
          select (select f.period from flattrs f
                  where f.withdrawn_at is null and f.period > p.period order by f.period limit 1)
          from p where p.period is not null
        )
        select period from p
        where period is not null and period < ${current}::text
        order by period`,
  );
  const candidates = new Set(rows.map((r) => r.period));
  candidates.add(previousPeriod(current));
  const closed = await queryRows<{ period: string }>(
    db,
    sql`select period from closed_periods where closed_at is not null
        and period in (${sql.join(
          [...candidates].map((c) => sql`${c}::text`),
          sql`, `,
        )})`,
  );
  const done = new Set(closed.map((r) => r.period));
  const graceNow = new Date(now.getTime() - config.closeGraceSeconds * 1000);
  return [...candidates]
    .filter((p) => !done.has(p) && hasEnded(p, graceNow, config.timeZone))
    .sort();
}

/** Closes every due period; safe to run in several workers at once (the close is idempotent). */
export async function closeDuePeriods(
  db: Db,
  clock: Clock,
  config: Config,
): Promise<CloseResult[]> {
  const results: CloseResult[] = [];
  for (const period of await duePeriods(db, clock, config)) {
    logger.info("Closing period {period} (ended {end})", {
      period,
      end: periodBounds(period, config.timeZone).end.toISOString(),
    });
    const result = await closePeriod(db, clock, config, period, {
      onProgress: (p) =>
        logger.debug("Close {period}: {done}/{total} payers", {
          period,
          done: p.usersDone,
          total: p.usersTotal,
        }),
    });
    logger.info("Closed period {period}: this run {thisRun}, total {total}", {
      period,
      thisRun: statsToJson(result.thisRun),
      total: statsToJson(result.total),
    });
    results.push(result);
  }
  return results;
}

/**
 * The worker's schedule: checks once at start and then every `intervalMs` (default a minute).
 * Errors are logged and retried on the next tick; ticks never overlap.
 */
export function startAutoClose(
  deps: { database: { db: Db }; clock: Clock; config: Config },
  options: { intervalMs?: number } = {},
): Repeating {
  const intervalMs = options.intervalMs ?? 60_000;
  return repeatEvery(
    intervalMs,
    () => closeDuePeriods(deps.database.db, deps.clock, deps.config),
    (error) =>
      logger.error("Automatic close failed, retrying in {seconds} s: {error}", {
        seconds: intervalMs / 1000,
        error,
      }),
  );
}
