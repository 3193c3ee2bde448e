import { sql } from "drizzle-orm";
import { FLATTR_SCOPES } from "../accounts/oauth/scopes.ts";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, preparedRows } from "../db/client.ts";
import { currentPeriod } from "./current-period.ts";
import { FlattrError, PayerTokenError } from "./errors.ts";
import {
  callFlattrThing,
  type FlattrCall,
  type OutcomeRow,
  outcomeColumns,
} from "./flattr-batch.ts";
import { periodClosedError, periodLock } from "./period-lock.ts";

/** A personal access token as the database stores it (src/accounts/tokens.ts). */
export interface PayerToken {
  tokenHash: string;
  /** Its last_used_at is rewritten only when older than this. */
  stampBefore: Date;
}

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

/** A thing id the database can look up; anything else is no thing at all. */
function checkThingId(thingId: number): void {
  if (!Number.isSafeInteger(thingId) || thingId < 1)
    throw new FlattrError("thing_not_found", "No such thing.");
}

/** The one row of an outcome query; the row itself when the outcome is ok. */
function okRow(rows: OutcomeRow[], refuse: (outcome: string) => Error): Flattr {
  const r = rows[0];
  if (!r) throw new Error("flattr function returned no row");
  if (r.outcome !== "ok") throw refuse(r.outcome);
  return toFlattr(r as FlattrRow);
}

/** Refusals both functions can answer; anything unknown is a bug, not a refusal. */
function commonRefusal(outcome: string, period: string): FlattrError {
  switch (outcome) {
    case "thing_not_found":
      return new FlattrError("thing_not_found", "No such thing.");
    case "period_being_closed":
      return periodClosedError(period, false);
    case "period_closed":
      return periodClosedError(period, true);
    default:
      throw new Error(`unknown flattr outcome: ${outcome}`);
  }
}

export interface FlattrOptions {
  /**
   * false for flattrs the payer did not click (a subscription's month, src/flattr/subscriptions.ts):
   * the per-minute limit is for people clicking, not for the worker.
   */
  rateLimited?: boolean;
  /** The OAuth app that asked for this flattr (a star in a Mastodon app), recorded with it. */
  appId?: number | null;
}

/** The flattr_request call for a flattr made now: its time, period, lock and limits. */
export function flattrCall(
  clock: Clock,
  config: Config,
  payer: number | PayerToken,
  thingId: number,
  options: FlattrOptions = {},
): FlattrCall {
  const now = clock.now();
  const period = currentPeriod(clock, config, now);
  const { lockClass, periodKey } = periodLock(period);
  const byToken = typeof payer === "number" ? null : payer;
  return {
    payerId: byToken ? null : (payer as number),
    appId: byToken ? null : (options.appId ?? null),
    tokenHash: byToken?.tokenHash ?? null,
    scopes: FLATTR_SCOPES,
    tokenStampBefore: byToken?.stampBefore ?? null,
    thingId,
    period,
    now,
    lockClass,
    periodKey,
    currency: config.currency,
    rateSince: new Date(now.getTime() - config.flattrRateLimit.windowSeconds * 1000),
    // Counts never reach beyond a safe integer, so a larger limit means the same as this one.
    rateMax:
      options.rateLimited === false
        ? Number.MAX_SAFE_INTEGER
        : Math.min(config.flattrRateLimit.max, Number.MAX_SAFE_INTEGER),
    periodMax: Math.min(config.maxFlattrsPerPeriod, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * Flattrs a thing in the current period (the period of clock.now() in config.timeZone). Refused
 * with a FlattrError: unknown thing, own thing, period sealed or closed, no budget, already
 * flattred this period, rate limit, per-period limit. The payer is a user id, or a personal access
 * token that must be valid and have the write scope (else PayerTokenError), checked in the same
 * statement so that an API flattr is one round trip. One call of flattr_request in the database
 * (which applies the rules in that order): inside `db` if that is a transaction, else in a batch
 * with the flattrs made at the same moment (src/flattr/flattr-batch.ts). It must be READ COMMITTED
 * (ADR 0002); nothing is written when it is refused.
 */
export async function flattr(
  db: Db,
  clock: Clock,
  config: Config,
  payer: number | PayerToken,
  thingId: number,
  options: FlattrOptions = {},
): Promise<Flattr> {
  checkThingId(thingId);
  const call = flattrCall(clock, config, payer, thingId, options);
  const { period } = call;
  const row = await callFlattrThing(db, call);
  return okRow([row], (outcome) => {
    switch (outcome) {
      case "own_thing":
        return new FlattrError("own_thing", "You cannot flattr your own thing.");
      case "no_budget":
        return new FlattrError(
          "no_budget",
          "Set a monthly budget before you flattr: your flattrs share it at the end of the month.",
        );
      case "already_flattred":
        return alreadyFlattred(period);
      case "rate_limited":
        return new FlattrError(
          "rate_limited",
          `You flattred ${config.flattrRateLimit.max} times in the last ${config.flattrRateLimit.windowSeconds} seconds; please wait a moment and try again.`,
        );
      case "period_limit":
        return new FlattrError(
          "period_limit",
          `You have reached the limit of ${config.maxFlattrsPerPeriod} flattrs in ${period}.`,
        );
      case "invalid_token":
      case "insufficient_scope":
      case "user_required":
        return new PayerTokenError(outcome);
      default:
        return commonRefusal(outcome, period);
    }
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
 * row stays, marked withdrawn; the thing can be flattred again in the same period. One statement
 * (unflattr_thing in the database), like flattr().
 */
export async function unflattr(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
  thingId: number,
): Promise<Flattr> {
  checkThingId(thingId);
  const now = clock.now();
  const period = currentPeriod(clock, config, now);
  const { lockClass, periodKey } = periodLock(period);
  const rows = await preparedRows<OutcomeRow>(
    db,
    "unflattr_thing",
    sql`select ${outcomeColumns} from unflattr_thing(
          ${payerId}::int8, ${thingId}::int8, ${period}::text, ${now.toISOString()}::timestamptz,
          ${lockClass}::int4, ${periodKey}::int4) f`,
  );
  return okRow(rows, (outcome) =>
    outcome === "not_flattred"
      ? new FlattrError("not_flattred", `You have not flattred this thing in ${period}.`)
      : commonRefusal(outcome, period),
  );
}
