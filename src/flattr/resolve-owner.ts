import { eq, sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { actorUrl, profileUrl } from "../config/urls.ts";
import { type Db, queryRows } from "../db/client.ts";
import { peers, remoteActors } from "../db/schema/index.ts";
import type { RemoteActor } from "../social/remote-actors.ts";
import type { Thing } from "./things.ts";

/*
 * Who a thing's owner is, as people and clients see it: a local user, a creator on a peer (a
 * server that speaks our protocol in our currency: paid through its summary), or an unclaimed
 * creator (anywhere else: held for them until they claim it). Read from the database only; the
 * resolver makes sure the peers table knows the owner's server first.
 */

export type OwnerKind = "local" | "peer" | "unclaimed";

export interface ThingOwner {
  kind: OwnerKind;
  /** The owner's ActivityPub id. */
  actor: string;
  /** `user@host`. */
  handle: string;
  /** Display name (falls back to the user name). */
  name: string;
  /** Their profile page for people: ours for a local user, their server's for a remote one. */
  profileUrl: string;
  /** Their server's host key (ours for a local user). */
  host: string;
  /** The remote actor was deleted on its server (its things and money history stay). */
  gone: boolean;
}

/** A remote actor as a thing's owner, `speaksFlattr` being its server's peers row. */
export function remoteOwner(actor: RemoteActor, speaksFlattr: boolean): ThingOwner {
  const user = actor.handle?.split("@")[0] ?? "";
  return {
    kind: speaksFlattr ? "peer" : "unclaimed",
    actor: actor.uri,
    handle: actor.handle ?? `${user || "?"}@${actor.host}`,
    name: actor.name || user || actor.uri,
    profileUrl: actor.url ?? actor.uri,
    host: actor.host,
    gone: actor.goneAt !== null,
  };
}

/** A local user as a thing's owner. */
export function localOwner(
  config: Config,
  user: { username: string; displayName: string },
): ThingOwner {
  return {
    kind: "local",
    actor: actorUrl(config, user.username),
    handle: `${user.username}@${config.origin.host}`,
    name: user.displayName || user.username,
    profileUrl: profileUrl(config, user.username),
    host: config.origin.host,
    gone: false,
  };
}

/** Whether the peers table says `host` is a peer (an unknown server is not). */
export async function isPeer(db: Db, host: string): Promise<boolean> {
  const [row] = await db
    .select({ speaksFlattr: peers.speaksFlattr })
    .from(peers)
    .where(eq(peers.host, host));
  return row?.speaksFlattr ?? false;
}

/** The owner of a thing, local or remote, from the database. */
export async function thingOwner(db: Db, config: Config, thing: Thing): Promise<ThingOwner> {
  if (thing.ownerKind === "local") {
    const [user] = await queryRows<{ username: string; display_name: string }>(
      db,
      sql`select username, display_name from users where id = ${thing.ownerId}`,
    );
    return localOwner(config, {
      username: user?.username ?? "",
      displayName: user?.display_name ?? "",
    });
  }
  const [actor] = await db
    .select()
    .from(remoteActors)
    .where(eq(remoteActors.id, thing.remoteOwnerId ?? -1n));
  if (!actor) throw new Error(`thing ${thing.id} has no remote owner row`);
  return remoteOwner(actor, await isPeer(db, actor.host));
}
