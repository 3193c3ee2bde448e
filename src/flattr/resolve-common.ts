import type { Db } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { ok, type Result, refused } from "../errors.ts";
import { isDomainBlocked } from "../peers/blocks.ts";
import { hostOf } from "../peers/host.ts";
import type { LookupFailure } from "./remote-lookup.ts";
import { ResolveError } from "./resolve-errors.ts";
import { type ThingOwner, thingOwner } from "./resolve-owner.ts";
import { remoteObjectDeleted } from "./resolve-things.ts";
import type { Thing } from "./things.ts";

/* What the resolver's parts (resolve.ts, resolve-actors.ts, resolve-objects.ts) share. */

export interface Resolved {
  thing: Thing;
  owner: ThingOwner;
  /** This look-up created the thing. */
  created: boolean;
  /** The object (or, for a profile, the actor) was deleted on its server. */
  deleted: boolean;
}

export type Outcome = Result<Resolved, ResolveError>;

export const refuse = (code: ResolveError["code"], message: string) =>
  refused(new ResolveError(code, message));

/** A look-up failure as the refusal people see. */
export function failure(f: LookupFailure, what: string): { ok: false; error: ResolveError } {
  switch (f.reason) {
    case "not_found":
      return refuse("not_found", `Nothing was found at ${what}.`);
    case "gone":
      return refuse("remote_gone", `${what} was deleted on its server.`);
    case "not_flattrable":
      return refuse("not_flattrable", `${what} cannot be flattred: ${f.detail}`);
    case "blocked":
      return refuse("domain_blocked", `${what} is on a server blocked here.`);
    case "unreachable":
      return refuse(
        "remote_unreachable",
        `The server of ${what} could not be reached (${f.detail}). Try again later.`,
      );
  }
}

export async function blocked(deps: Deps, uri: string): Promise<boolean> {
  const host = hostOf(uri);
  return host === null || (await isDomainBlocked(deps.database.db, host));
}

export const blockedRefusal = (what: string) =>
  refuse("domain_blocked", `${what} is on a server blocked on this instance.`);

/** A known thing as an answer: its owner from the database, whether it was deleted remotely. */
export async function answer(db: Db, deps: Deps, thing: Thing, created: boolean): Promise<Outcome> {
  const [owner, deleted] = await Promise.all([
    thingOwner(db, deps.config, thing),
    remoteObjectDeleted(db, thing),
  ]);
  return ok({ thing, owner, created, deleted });
}

/** An object whose thing belongs to another owner here: ids never change hands. */
export const notTheirs = () =>
  refuse(
    "not_flattrable",
    "This is known here as someone else's: it cannot be flattred as theirs.",
  );
