import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Period, periodOf } from "../periods/period.ts";

/** The period a flattr made now belongs to: the calendar month of now in TIME_ZONE. */
export function currentPeriod(clock: Clock, config: Config, now: Date = clock.now()): Period {
  return periodOf(now, config.timeZone);
}
