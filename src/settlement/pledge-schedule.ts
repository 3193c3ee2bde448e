import { getLogger } from "@logtape/logtape";
import type { Deps } from "../deps.ts";
import { type Repeating, repeatEvery } from "../schedule.ts";
import { applyWonClaims } from "./claims/apply.ts";
import { returnExpiredPledges } from "./pledge-returns.ts";

const logger = getLogger(["fediflattr", "settlement", "pledges"]);

/** One pass of the worker's pledge duties; each is idempotent and safe in several workers. */
export async function runPledgeDuties(
  deps: Deps,
  extra: (() => Promise<unknown>)[] = [],
): Promise<void> {
  const { db } = deps.database;
  // Won claims first: a share a claim may take is never returned in the same pass.
  const claimed = await applyWonClaims(db, deps.config);
  if (claimed.shares > 0)
    logger.info("Won claims took {shares} held shares ({amount} minor units)", {
      shares: claimed.shares,
      amount: claimed.amount.toString(),
    });
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
): Repeating {
  return repeatEvery(
    intervalMs,
    () => runPledgeDuties(deps, extra),
    (error) => logger.error("Pledge duties failed, retrying later: {error}", { error }),
  );
}
