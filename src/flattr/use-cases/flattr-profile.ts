import { findUserByUsername, type User } from "../../accounts/users.ts";
import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { ok, type Result, refused } from "../../errors.ts";
import { FlattrError } from "../errors.ts";
import { flattr } from "../flattr.ts";
import { findProfileThingId, profileThing } from "../things.ts";
import type { Flattred } from "./ensure-flattred.ts";

/** The local user a profile flattr names, or `user_not_found`. */
export async function profileOwner(db: Db, username: string): Promise<Result<User, FlattrError>> {
  const owner = await findUserByUsername(db, username);
  if (owner) return ok(owner);
  return refused(
    new FlattrError("user_not_found", `There is no user @${username.slice(0, 60)} here.`),
  );
}

/**
 * Flattrs a local user's profile (the FEP-0ea0 payment link every actor carries): creates the
 * profile thing on its first flattr, in the same transaction as that flattr, so a refused flattr
 * leaves nothing behind. A profile the payer already flattred this period is "done". Refusals:
 * user_not_found, own_thing, no_budget, period_closed, rate_limited, period_limit.
 */
export async function flattrProfile(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
  ownerUsername: string,
): Promise<Result<Flattred, FlattrError>> {
  const owner = await profileOwner(db, ownerUsername);
  if (!owner.ok) return owner;
  if (owner.value.id === payerId)
    return refused(
      new FlattrError("own_thing", "This is your own profile: you cannot flattr yourself."),
    );
  try {
    return ok(
      await db.transaction(async (tx) => {
        const thing = await profileThing(tx, clock, config, owner.value.id);
        return { thingId: thing.id, flattr: await flattr(tx, clock, config, payerId, thing.id) };
      }),
    );
  } catch (e) {
    if (!(e instanceof FlattrError)) throw e;
    const thingId = await findProfileThingId(db, owner.value.id);
    if (e.code === "already_flattred" && thingId !== null) return ok({ thingId, flattr: null });
    return refused(e);
  }
}
