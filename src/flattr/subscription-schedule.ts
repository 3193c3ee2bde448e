import { getLogger } from "@logtape/logtape";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
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
): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 60_000;
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        const { ran, flattred } = await runDueSubscriptions(
          deps.database.db,
          deps.clock,
          deps.config,
        );
        if (ran > 0)
          logger.info("Subscriptions: {ran} run, {flattred} flattred", { ran, flattred });
      } catch (error) {
        logger.error("Subscription runs failed, retrying in {seconds} s: {error}", {
          seconds: intervalMs / 1000,
          error,
        });
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
