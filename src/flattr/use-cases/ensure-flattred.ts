import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { ok, type Result, refused } from "../../errors.ts";
import { FlattrError } from "../errors.ts";
import { type Flattr, type FlattrOptions, flattr } from "../flattr.ts";

/** What a flattr use case answers when the thing is (now) flattred by the payer. */
export interface Flattred {
  thingId: number;
  /** The new flattr; null when the payer had already flattred the thing in this period. */
  flattr: Flattr | null;
}

/**
 * Flattrs a thing the payer asked to flattr, unless they already did in this period: the button's
 * confirmation (a second click of the same button is "done", not an error), and the Mastodon
 * favourite to come. Refusals: thing_not_found, own_thing, no_budget, period_closed,
 * rate_limited, period_limit. To refuse a repeat instead (the REST API, the thing page), call
 * flattr() itself.
 */
export async function ensureFlattred(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
  thingId: number,
  options: FlattrOptions = {},
): Promise<Result<Flattred, FlattrError>> {
  try {
    return ok({ thingId, flattr: await flattr(db, clock, config, payerId, thingId, options) });
  } catch (e) {
    if (!(e instanceof FlattrError)) throw e;
    if (e.code === "already_flattred") return ok({ thingId, flattr: null });
    return refused(e);
  }
}
