import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { ok, type Result, refused } from "../../errors.ts";
import { isDomainBlocked } from "../../peers/blocks.ts";
import { PeerError } from "../../peers/errors.ts";
import { hostOf } from "../../peers/host.ts";
import { statusById, type TimelineEntry } from "../../social/timelines.ts";
import { FlattrError } from "../errors.ts";
import { type Flattr, unflattr } from "../flattr.ts";
import {
  linkStatusThing,
  remoteExcerpt,
  remoteHeadline,
  remoteTitle,
  resolvedThing,
} from "../resolve-things.ts";
import { ensureFlattred, type Flattred } from "./ensure-flattred.ts";

/*
 * Favourite = flattr (the Mastodon API's star): the doors that flattr and unflattr a status, a
 * local post or a remote note (a remote one's flattr sends its `Like` with the payment extension
 * through the outbox, in the flattr's own statement). A star given twice in a period is "done",
 * as Mastodon answers a second favourite; a star taken back that was not given is "done" too.
 * Every refusal changes nothing and says why in words a person reads in their app.
 */

export interface StatusFlattrDeps {
  db: Db;
  clock: Clock;
  config: Config;
}

export type StarRefusal = FlattrError | PeerError;

/** A status that is not there or not readable by the person asking. */
export const noSuchPost = () => new FlattrError("thing_not_found", "There is no such post.");

/** The status the viewer may read, or thing_not_found. */
async function readableStatus(
  deps: StatusFlattrDeps,
  viewerId: number,
  statusId: bigint,
): Promise<Result<TimelineEntry, StarRefusal>> {
  const status = await statusById(deps.db, deps.config, statusId, viewerId);
  return status ? ok(status) : refused(noSuchPost());
}

/** A remote author's server, when it is blocked here. */
async function blockedHost(deps: StatusFlattrDeps, status: TimelineEntry): Promise<string | null> {
  if (status.author.userId !== null) return null;
  const host = hostOf(status.author.uri);
  return host !== null && (await isDomainBlocked(deps.db, host)) ? host : null;
}

/** The status's thing, created for a remote note on its first flattr. */
async function thingOf(deps: StatusFlattrDeps, status: TimelineEntry): Promise<number | null> {
  if (status.thingId !== null) return status.thingId;
  if (status.author.remoteActorId === null) return null;
  const made = await resolvedThing(deps.db, deps.clock, {
    remoteOwnerId: status.author.remoteActorId,
    kind: "note",
    objectUri: status.uri,
    url: status.url,
    title: remoteTitle(
      status.summary,
      remoteHeadline(status.contentHtml),
      `Post by ${status.author.name}`,
    ),
    description: remoteExcerpt(status.contentHtml),
  });
  if (!made) return null;
  await linkStatusThing(deps.db, status.id, made.thing.id);
  return made.thing.id;
}

/** The refusal of a star, worded for a status (the app shows it as it is). */
function forStatus(e: FlattrError): FlattrError {
  if (e.code === "own_thing") return ownPost();
  return e;
}

/** The star of one's own post. */
export const ownPost = () =>
  new FlattrError("own_thing", "This is your own post: you cannot flattr it.");

/**
 * Flattrs a status for the current period (the star in a Mastodon app), recording the OAuth
 * app that asked (`appId`). Already flattred in this period: done, no new flattr. Refused: thing_not_found (unknown, deleted or not readable
 * by the payer), domain_blocked (its author's server is blocked here), own_thing, no_budget,
 * period_closed, rate_limited, period_limit.
 */
export async function flattrStatus(
  deps: StatusFlattrDeps,
  payerId: number,
  statusId: bigint,
  options: { appId?: number | null } = {},
): Promise<Result<Flattred & { status: TimelineEntry }, StarRefusal>> {
  const found = await readableStatus(deps, payerId, statusId);
  if (!found.ok) return found;
  const status = found.value;
  if (status.author.userId === payerId) return refused(ownPost());
  const blocked = await blockedHost(deps, status);
  if (blocked !== null)
    return refused(
      new PeerError(
        "domain_blocked",
        `This post is on ${blocked}, a server blocked here: it cannot be flattred.`,
      ),
    );
  const thingId = await thingOf(deps, status);
  if (thingId === null) return refused(noSuchPost());
  // The app is written by the flattr's own statement (one round trip, one commit).
  const done = await ensureFlattred(deps.db, deps.clock, deps.config, payerId, thingId, {
    appId: options.appId ?? null,
  });
  if (!done.ok) return refused(forStatus(done.error));
  return ok({ ...done.value, status: { ...status, thingId } });
}

/**
 * Withdraws the payer's flattr of a status in the current period, while it is open. Not
 * flattred this period: done (null). Refused: thing_not_found, period_closed.
 */
export async function unflattrStatus(
  deps: StatusFlattrDeps,
  payerId: number,
  statusId: bigint,
): Promise<Result<{ flattr: Flattr | null; status: TimelineEntry }, StarRefusal>> {
  const found = await readableStatus(deps, payerId, statusId);
  if (!found.ok) return found;
  const status = found.value;
  if (status.thingId === null) return ok({ flattr: null, status });
  try {
    const f = await unflattr(deps.db, deps.clock, deps.config, payerId, status.thingId);
    return ok({ flattr: f, status });
  } catch (e) {
    if (!(e instanceof FlattrError)) throw e;
    if (e.code === "not_flattred" || e.code === "thing_not_found")
      return ok({ flattr: null, status });
    return refused(e);
  }
}
