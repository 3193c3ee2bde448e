import type { Config } from "../config/config.ts";
import { nextPeriod, type Period, periodBounds, previousPeriod } from "../periods/period.ts";

/**
 * When the hold of period P's unclaimed shares ends and they return to the payers: the start of
 * the month PLEDGE_HOLD_MONTHS after P ended (P = 2026-10, 6 months: 2027-05-01, in the instance
 * time zone).
 */
export function pledgeReturnsAt(period: Period, config: Config): Date {
  let p = nextPeriod(period);
  for (let i = 0; i < config.pledgeHoldMonths; i++) p = nextPeriod(p);
  return periodBounds(p, config.timeZone).start;
}

/**
 * The last period whose hold has ended when `current` is the current period: pledgeReturnsAt(P)
 * is the start of P + 1 + hold, which has come for every P up to current − 1 − hold.
 */
export function lastReturnablePeriod(current: Period, config: Config): Period {
  let p = previousPeriod(current);
  for (let i = 0; i < config.pledgeHoldMonths; i++) p = previousPeriod(p);
  return p;
}
