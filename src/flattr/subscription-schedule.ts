import { getLogger } from "@logtape/logtape";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { type Repeating, repeatEvery } from "../schedule.ts";
import { runDueSubscriptions } from "./subscriptions.ts";

const logger = getLogger(["fediflattr", "flattr", "subscriptions"]);

/**
 * The worker's schedule for subscriptions: once at start and then every `intervalMs` (default a
 * minute), so each month is flattred within a minute of its start, or as soon as a worker is up.
 * Errors are logged and retried on the next tick; ticks never overlap.
 */
export function startSubscriptionRuns(
  deps: { database: { db: Db }; clock: Clock; config: Config },
  options: { intervalMs?: number } = {},
): Repeating {
  const intervalMs = options.intervalMs ?? 60_000;
  return repeatEvery(
    intervalMs,
    async () => {
      const { ran, flattred } = await runDueSubscriptions(
        deps.database.db,
        deps.clock,
        deps.config,
      );
      if (ran > 0) logger.info("Subscriptions: {ran} run, {flattred} flattred", { ran, flattred });
    },
    (error) =>
      logger.error("Subscription runs failed, retrying in {seconds} s: {error}", {
        seconds: intervalMs / 1000,
        error,
      }),
  );
}
