import { findUserByUsername, type User } from "../../accounts/users.ts";
import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { ok, type Result, refused } from "../../errors.ts";
import { FlattrError } from "../errors.ts";
import { flattr } from "../flattr.ts";
import { cleanDescription, cleanTitle, findThingByUrl, registerThing } from "../things.ts";
import { normalizeThingUrl } from "../url.ts";
import type { Flattred } from "./ensure-flattred.ts";

/** The parameters of an auto-submit link (`/submit?user=&url=&title=&description=`), as sent. */
export interface SubmitLink {
  user?: string;
  url?: string;
  title?: string;
  description?: string;
}

/** An auto-submit link, checked: its owner exists and the page could be registered as given. */
export interface Submission {
  owner: User;
  /** As given (trimmed): what registerThing stores and a form sends back. */
  url: string;
  title: string;
  description: string;
}

const invalid = (message: string) => refused(new FlattrError("invalid_link", message));

/** The value of a check that throws FlattrError, or that error's message. */
function check<T>(f: () => T): { value: T } | { message: string } {
  try {
    return { value: f() };
  } catch (e) {
    if (e instanceof FlattrError) return { message: e.message };
    throw e;
  }
}

/**
 * Checks an auto-submit link the way registerThing will (which stays the authority when the
 * flattr is made), so that a broken link is reported before anyone confirms anything: refused
 * `invalid_link` for a missing or malformed value, `user_not_found` for an unknown owner.
 * Writes nothing.
 */
export async function checkSubmission(
  db: Db,
  config: Config,
  link: SubmitLink,
): Promise<Result<Submission, FlattrError>> {
  const username = (link.user ?? "").trim();
  if (username === "") return invalid("This flattr link is incomplete: it names no user (user=…).");
  const owner = await findUserByUsername(db, username);
  if (!owner)
    return refused(
      new FlattrError("user_not_found", `There is no user @${username.slice(0, 60)} here.`),
    );

  const url = normalizeThingUrl(link.url ?? "");
  if (!url.ok) return invalid(`The link's url parameter: ${url.reason}`);
  if (new URL(url.normalized).origin === config.origin.origin)
    return invalid(
      "Pages on this instance cannot be submitted: profiles and posts here are flattrable already.",
    );

  if ((link.title ?? "").trim() === "")
    return invalid("This flattr link is incomplete: it has no title.");
  const title = check(() => cleanTitle(link.title ?? ""));
  if ("message" in title) return invalid(title.message);
  const description = check(() => cleanDescription(link.description));
  if ("message" in description) return invalid(description.message);

  return ok({ owner, url: url.url, title: title.value, description: description.value });
}

/**
 * Register-and-flattr: the first confirmed flattr of an auto-submit link registers the page as
 * its owner's thing and flattrs it, in one transaction, so a refused flattr leaves no thing
 * behind. A page the payer already flattred this period is "done" (its thing, no new flattr).
 * Refusals: own_thing, invalid_url / invalid_title / invalid_description (registerThing's own
 * check), no_budget, period_closed, rate_limited, period_limit.
 */
export async function submitAndFlattr(
  db: Db,
  clock: Clock,
  config: Config,
  payerId: number,
  s: Submission,
): Promise<Result<Flattred, FlattrError>> {
  if (s.owner.id === payerId)
    return refused(new FlattrError("own_thing", "You cannot flattr your own thing."));
  try {
    return ok(
      await db.transaction(async (tx) => {
        const { thing } = await registerThing(tx, clock, config, s.owner.id, s);
        return { thingId: thing.id, flattr: await flattr(tx, clock, config, payerId, thing.id) };
      }),
    );
  } catch (e) {
    if (!(e instanceof FlattrError)) throw e;
    if (e.code === "already_flattred") {
      const existing = await findThingByUrl(db, s.owner.id, s.url);
      if (existing) return ok({ thingId: existing.id, flattr: null });
    }
    return refused(e);
  }
}
