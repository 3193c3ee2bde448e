import { and, eq, isNotNull } from "drizzle-orm";
import { findUserByUsername } from "../accounts/users.ts";
import { statuses, things } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { ok } from "../errors.ts";
import type { RemoteLookup } from "./remote-lookup.ts";
import { findThingByObjectUri } from "./remote-things.ts";
import { resolveHandle } from "./resolve-actors.ts";
import { answer, type Outcome, refuse } from "./resolve-common.ts";
import { localTarget, parseResolveInput } from "./resolve-input.ts";
import { resolveUrl } from "./resolve-objects.ts";
import { localOwner } from "./resolve-owner.ts";
import { profileThing, toThing } from "./things.ts";

export { ensureRemoteActor } from "./resolve-actors.ts";
export type { Resolved } from "./resolve-common.ts";
export { NOTE_STALE_AFTER_MS } from "./resolve-objects.ts";

/*
 * The resolve door: a handle or an address in, the flattrable thing for it out, created on first
 * use. Local handles and addresses are answered from the database, never over the network.
 * Remote ones go through the RemoteLookup port (WebFinger, signed fetches), are cached in
 * remote_actors / statuses with when they were fetched, and are fetched again once stale. A
 * deleted actor or object (410, Tombstone) keeps its thing and money history; a server that does
 * not answer leaves a cached copy usable. Every refusal is a ResolveError value.
 */

/** Resolves a handle (`@user@host`, `acct:user@host`) or an address to its thing. */
export async function resolveThing(
  deps: Deps,
  lookup: RemoteLookup,
  raw: string,
): Promise<Outcome> {
  const parsed = parseResolveInput(raw);
  if (!parsed.ok) return refuse("invalid_uri", parsed.reason);
  const { input } = parsed;
  const ours = deps.config.origin;
  if (input.kind === "handle") {
    if (input.host === ours.host) return resolveLocalUser(deps, input.username);
    return resolveHandle(deps, lookup, `${input.username}@${input.host}`, input.host);
  }
  const local = localTarget(input.url, ours);
  if (local?.kind === "user") return resolveLocalUser(deps, local.username);
  if (local?.kind === "thing") return answerThingId(deps, local.id);
  if (local?.kind === "object") return resolveLocalObject(deps, local.uri);
  return resolveUrl(deps, lookup, input.url);
}

// ---- local ------------------------------------------------------------------------------

async function resolveLocalUser(deps: Deps, username: string): Promise<Outcome> {
  const { config, clock } = deps;
  const db = deps.database.db;
  const user = await findUserByUsername(db, username);
  if (!user) return refuse("not_found", `There is no user @${username.slice(0, 60)} here.`);
  const before = await db
    .select({ id: things.id })
    .from(things)
    .where(and(eq(things.ownerId, user.id), eq(things.kind, "profile")));
  const thing = await profileThing(db, clock, config, user.id);
  return ok({
    thing,
    owner: localOwner(config, user),
    created: before.length === 0,
    deleted: false,
  });
}

async function answerThingId(deps: Deps, id: number): Promise<Outcome> {
  const db = deps.database.db;
  const [row] = await db.select().from(things).where(eq(things.id, id));
  if (!row) return refuse("not_found", `There is no thing ${id} here.`);
  return answer(db, deps, toThing(row), false);
}

async function resolveLocalObject(deps: Deps, uri: string): Promise<Outcome> {
  const db = deps.database.db;
  const thing = await findThingByObjectUri(db, uri);
  if (thing) return answer(db, deps, thing, false);
  // A local post's page (its url) rather than its id.
  const [post] = await db
    .select({ thingId: statuses.thingId })
    .from(statuses)
    .where(and(eq(statuses.url, uri), isNotNull(statuses.userId), isNotNull(statuses.thingId)));
  if (post?.thingId) return answerThingId(deps, post.thingId);
  return refuse("not_found", "Nothing on this instance has that address.");
}
