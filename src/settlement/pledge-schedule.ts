import { getLogger } from "@logtape/logtape";
import type { Deps } from "../deps.ts";
import { returnExpiredPledges } from "./pledge-returns.ts";

const logger = getLogger(["fediflattr", "settlement", "pledges"]);

/** One pass of the worker's pledge duties; each is idempotent and safe in several workers. */
export async function runPledgeDuties(
  deps: Deps,
  extra: (() => Promise<unknown>)[] = [],
): Promise<void> {
  const { db } = deps.database;
  const returned = await returnExpiredPledges(db, deps.clock, deps.config);
  if (returned.entries > 0)
    logger.info("Returned {shares} held shares ({amount} minor units) in {entries} entries", {
      ...returned,
      amount: returned.amount.toString(),
    });
  for (const duty of extra) await duty();
}

/**
 * The worker's schedule for pledges: once at start, then every `intervalMs` (default an hour).
 * Failures are logged and retried on the next tick; ticks never overlap.
 */
export function startPledgeSchedule(
  deps: Deps,
  extra: (() => Promise<unknown>)[] = [],
  intervalMs = 60 * 60_000,
): { stop(): Promise<void> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await runPledgeDuties(deps, extra);
      } catch (error) {
        logger.error("Pledge duties failed, retrying later: {error}", { error });
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        timer.unref?.();
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
