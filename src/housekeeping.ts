import { getLogger } from "@logtape/logtape";
import { deleteStaleCodes } from "./accounts/oauth/grants.ts";
import { pruneExpiredPasswordResets } from "./accounts/password-resets.ts";
import { pruneRateLimits } from "./accounts/rate-limit.ts";
import { deleteExpiredSessions } from "./accounts/sessions.ts";
import type { Deps } from "./deps.ts";
import { pruneAcceptedSummaryPages } from "./settlement/summaries/build.ts";

const logger = getLogger(["fediflattr", "housekeeping"]);

/**
 * Deletes what has expired (sessions, rate-limit windows, OAuth codes) and the kept pages of
 * accepted settlement summaries, so those tables stay small.
 */
export async function runHousekeeping(deps: Deps): Promise<void> {
  const { db } = deps.database;
  await deleteExpiredSessions(db, deps.clock);
  await pruneRateLimits(db, deps.clock);
  await pruneExpiredPasswordResets(db, deps.clock);
  await deleteStaleCodes(db, deps.clock);
  await pruneAcceptedSummaryPages(db);
}

/** Runs housekeeping now and then every `intervalMs` until stopped; failures are logged, not fatal. */
export function startHousekeeping(deps: Deps, intervalMs = 15 * 60_000): { stop(): void } {
  const run = () =>
    runHousekeeping(deps).catch((error) => logger.error("Housekeeping failed: {error}", { error }));
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
