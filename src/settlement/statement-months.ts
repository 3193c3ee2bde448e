import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { type Period, periodOf, periodsEnding } from "../periods/period.ts";

/** The months a user has statements for: from the account's month to now, newest first. */
export async function statementMonths(
  db: Db,
  config: Config,
  clock: Clock,
  userId: number,
  max: number,
): Promise<Period[]> {
  const now = currentPeriod(clock, config);
  const [row] = await queryRows<{ created_at: string | Date }>(
    db,
    sql`select created_at from users where id = ${userId}::int8`,
  );
  const joined = row ? periodOf(new Date(row.created_at), config.timeZone) : now;
  return periodsEnding(now, max)
    .filter((p) => p >= joined)
    .reverse();
}
