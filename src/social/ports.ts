import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import type { RemoteActor } from "./remote-actors.ts";

/*
 * What the social domain (posts, follows) needs from the federation, as a port: the domain
 * decides and writes rows, the adapter (src/federation/social.ts) speaks ActivityPub. The
 * `queue…` methods run inside the domain's transaction and only enqueue deliveries there (the
 * transactional outbox), so a delivery exists exactly if the local write commits; they never
 * do network I/O. `lookupActor` does network I/O and is called before any transaction.
 */
export interface SocialFederation {
  /**
   * The remote actor a handle (`user@host`, `@user@host`, `acct:user@host`) or an actor URL
   * names: from the cache while fresh, else fetched (signed by the instance actor) and cached.
   * Null when nothing answers with an actor. Never called for this instance's own users.
   */
  lookupActor(query: string): Promise<RemoteActor | null>;
  /** Queues `Follow` from a local user to a remote actor, with the id the row stores. */
  queueFollow(tx: Db, follow: OutgoingFollow): Promise<void>;
  /** Queues `Undo(Follow)` for a follow the user just ended. */
  queueUnfollow(tx: Db, follow: OutgoingFollow): Promise<void>;
  /** Queues `Create`, `Update` or `Delete` of a local post to its followers and mentions. */
  queuePost(tx: Db, event: PostEvent): Promise<void>;
}

export interface OutgoingFollow {
  username: string;
  followId: string;
  actor: Pick<RemoteActor, "uri" | "inboxUrl" | "sharedInboxUrl">;
}

export interface PostEvent {
  type: "create" | "update" | "delete";
  statusId: bigint;
  /**
   * Actors the post mentioned before this change (an edit that drops a mention still tells
   * that actor, so its copy does not keep the old text).
   */
  formerMentions?: string[];
}

/** A federation that knows nobody and sends nothing: tests of the domain, commands offline. */
export const noFederation: SocialFederation = {
  lookupActor: async () => null,
  queueFollow: async () => {},
  queueUnfollow: async () => {},
  queuePost: async () => {},
};

/** What the social doors get from the composition root. */
export interface SocialDeps {
  db: Db;
  clock: Clock;
  config: Config;
  federation: SocialFederation;
}
