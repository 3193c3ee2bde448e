import { getLogger } from "@logtape/logtape";
import { and, asc, count, eq, gt, isNotNull, or, sql } from "drizzle-orm";
import { findUserById, findUserByUsername, type User } from "../accounts/users.ts";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { actorUrl, inboxUrl, profileUrl, sharedInboxUrl } from "../config/urls.ts";
import type { Db } from "../db/client.ts";
import { followers, following, remoteActors, users } from "../db/schema/index.ts";
import { ok, type Result, refused } from "../errors.ts";
import { FollowError } from "./errors.ts";
import type { OutgoingFollow, SocialDeps } from "./ports.ts";
import type { RemoteActor } from "./remote-actors.ts";

/*
 * Following: the doors every surface calls to follow and unfollow (a local user or a remote
 * actor), the lists, and what the inbox records when other servers follow, accept, reject or
 * undo. Following a local user needs no network: both rows are written at once, accepted.
 * Following a remote actor writes a pending row and queues a `Follow` in the same transaction;
 * its `Accept` marks the row accepted.
 */

const logger = getLogger(["fediflattr", "social", "follows"]);

export interface FollowResult {
  actorUri: string;
  followId: string;
  /** True once the other side accepted (a local user accepts at once). */
  accepted: boolean;
}

/** One side of a follow as lists show it: a local user or a cached remote actor. */
export interface FollowEntry {
  actorUri: string;
  /** `user@host`, without the leading @ (null while a remote actor's handle is unknown). */
  handle: string | null;
  name: string;
  /** Its HTML profile. */
  url: string;
  /** The local user, if it is one. */
  userId: number | null;
  /** The cached remote actor, if it is one. */
  remoteActorId: bigint | null;
  /** Following: the Accept arrived (always true in follower lists). */
  accepted: boolean;
  since: Date;
}

/** A fresh Follow id under the follower: the same pair may recur, activity ids must not. */
function newFollowId(config: Config, username: string): string {
  return `${actorUrl(config, username)}#follows/${crypto.randomUUID()}`;
}

/**
 * The local username a follow target names, if it names one here: `name`, `@name`,
 * `name@<this host>` (also `acct:`), or this instance's actor or profile URL of a user.
 */
export function localTargetName(config: Config, query: string): string | null {
  const q = query.trim().replace(/^acct:/i, "");
  const handle = /^@?([A-Za-z0-9_]{1,30})(?:@([^@/\s]+))?$/.exec(q);
  if (handle) {
    const host = handle[2]?.toLowerCase();
    return host === undefined || host === config.origin.host.toLowerCase() ? handle[1]! : null;
  }
  if (!URL.canParse(q)) return null;
  const url = new URL(q);
  if (url.origin !== config.origin.origin) return null;
  const path = /^\/(?:users\/|@)([A-Za-z0-9_]{1,30})\/?$/.exec(url.pathname);
  return path ? path[1]! : null;
}

/** Queues a Follow or its Undo in a savepoint: a failure is logged and the local write stands. */
async function queueSafely(tx: Db, what: string, queue: (sp: Db) => Promise<void>): Promise<void> {
  try {
    await tx.transaction(async (sp) => queue(sp as Db));
  } catch (error) {
    logger.error("Could not queue {what}: {error}", { what, error });
  }
}

async function followLocal(
  db: Db,
  clock: Clock,
  config: Config,
  user: User,
  target: User,
): Promise<FollowResult> {
  const actorUri = actorUrl(config, target.username);
  return db.transaction(async (tx) => {
    const now = clock.now();
    const followId = newFollowId(config, user.username);
    const [row] = await tx
      .insert(following)
      .values({
        userId: user.id,
        actorUri,
        targetUserId: target.id,
        inboxUrl: inboxUrl(config, target.username),
        sharedInboxUrl: sharedInboxUrl(config),
        followId,
        acceptedAt: now,
        createdAt: now,
      })
      .onConflictDoUpdate({
        target: [following.userId, following.actorUri],
        // A row left pending (it cannot be, locally, but costs nothing to mend) is accepted.
        set: {
          acceptedAt: sql`coalesce(${following.acceptedAt}, ${now.toISOString()}::timestamptz)`,
        },
      })
      .returning({ followId: following.followId });
    await tx
      .insert(followers)
      .values({
        userId: target.id,
        actorUri: actorUrl(config, user.username),
        followerUserId: user.id,
        inboxUrl: inboxUrl(config, user.username),
        sharedInboxUrl: sharedInboxUrl(config),
        followId: row!.followId,
        createdAt: now,
      })
      .onConflictDoNothing();
    return { actorUri, followId: row!.followId, accepted: true };
  });
}

/**
 * A local user follows someone named by handle (`user@host`, `@user@host`, `@localname`) or
 * actor URL. A local user is followed at once; a remote actor is looked up (network, before the
 * transaction), cached, recorded as pending and sent a `Follow`. Following an accepted actor again
 * changes nothing; a pending one gets a fresh Follow. Refused: actor_not_found, no_inbox,
 * self_follow.
 */
export async function follow(
  deps: SocialDeps,
  userId: number,
  query: string,
): Promise<Result<FollowResult, FollowError>> {
  const user = await findUserById(deps.db, userId);
  if (!user) return refused(new FollowError("user_not_found", "Your account no longer exists."));
  const q = typeof query === "string" ? query.trim() : "";
  const notFound = () =>
    refused(new FollowError("actor_not_found", `Could not find "${q.slice(0, 100)}" to follow.`));
  if (q === "" || q.length > 2048) return notFound();

  const localName = localTargetName(deps.config, q);
  if (localName !== null) {
    const target = await findUserByUsername(deps.db, localName);
    if (!target) return notFound();
    if (target.id === user.id)
      return refused(new FollowError("self_follow", "You cannot follow yourself."));
    return ok(await followLocal(deps.db, deps.clock, deps.config, user, target));
  }

  let actor: RemoteActor | null = null;
  try {
    actor = await deps.federation.lookupActor(q);
  } catch (error) {
    logger.info("Lookup of {q} failed: {error}", { q, error });
  }
  if (!actor || actor.goneAt) return notFound();
  const inbox = actor.inboxUrl;
  if (!inbox)
    return refused(
      new FollowError("no_inbox", `"${q.slice(0, 100)}" has no inbox; it cannot be followed.`),
    );
  const target = actor;
  return deps.db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ followId: following.followId, acceptedAt: following.acceptedAt })
      .from(following)
      .where(and(eq(following.userId, user.id), eq(following.actorUri, target.uri)));
    if (existing?.acceptedAt)
      return ok({ actorUri: target.uri, followId: existing.followId, accepted: true });
    const followId = newFollowId(deps.config, user.username);
    const inboxes = { inboxUrl: inbox, sharedInboxUrl: target.sharedInboxUrl };
    await tx
      .insert(following)
      .values({
        userId: user.id,
        actorUri: target.uri,
        remoteActorId: target.id,
        ...inboxes,
        followId,
        createdAt: deps.clock.now(),
      })
      .onConflictDoUpdate({
        target: [following.userId, following.actorUri],
        set: { ...inboxes, remoteActorId: target.id, followId, acceptedAt: null },
      });
    const outgoing: OutgoingFollow = { username: user.username, followId, actor: target };
    await queueSafely(tx as Db, `Follow ${followId}`, (sp) =>
      deps.federation.queueFollow(sp, outgoing),
    );
    return ok({ actorUri: target.uri, followId, accepted: false });
  });
}

/**
 * Stops following the actor with this ActivityPub id: removes the row (and, for a local user,
 * their follower row) and queues `Undo(Follow)` for a remote one, in one transaction. False if
 * there was nothing to undo.
 */
export async function unfollow(
  deps: SocialDeps,
  userId: number,
  actorUri: string,
): Promise<boolean> {
  const user = await findUserById(deps.db, userId);
  if (!user || typeof actorUri !== "string") return false;
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(following)
      .where(and(eq(following.userId, user.id), eq(following.actorUri, actorUri)))
      .returning();
    if (!row) return false;
    if (row.targetUserId !== null) {
      await tx
        .delete(followers)
        .where(and(eq(followers.userId, row.targetUserId), eq(followers.followerUserId, user.id)));
      return true;
    }
    const outgoing: OutgoingFollow = {
      username: user.username,
      followId: row.followId,
      actor: { uri: row.actorUri, inboxUrl: row.inboxUrl, sharedInboxUrl: row.sharedInboxUrl },
    };
    await queueSafely(tx as Db, `Undo of ${row.followId}`, (sp) =>
      deps.federation.queueUnfollow(sp, outgoing),
    );
    return true;
  });
}

/** Whether `userId` follows the actor (accepted or still pending), and whether it was accepted. */
export async function followState(
  db: Db,
  userId: number,
  actorUri: string,
): Promise<"none" | "pending" | "accepted"> {
  const [row] = await db
    .select({ acceptedAt: following.acceptedAt })
    .from(following)
    .where(and(eq(following.userId, userId), eq(following.actorUri, actorUri)));
  if (!row) return "none";
  return row.acceptedAt ? "accepted" : "pending";
}

const entryColumns = {
  username: users.username,
  displayName: users.displayName,
  handle: remoteActors.handle,
  remoteName: remoteActors.name,
  remoteUrl: remoteActors.url,
};

function toEntry(
  config: Config,
  row: {
    actorUri: string;
    userId: number | null;
    remoteActorId: bigint | null;
    accepted: boolean;
    since: Date;
    username: string | null;
    displayName: string | null;
    handle: string | null;
    remoteName: string | null;
    remoteUrl: string | null;
  },
): FollowEntry {
  if (row.username !== null)
    return {
      actorUri: row.actorUri,
      handle: `${row.username}@${config.origin.host}`,
      name: row.displayName || row.username,
      url: profileUrl(config, row.username),
      userId: row.userId,
      remoteActorId: null,
      accepted: row.accepted,
      since: row.since,
    };
  return {
    actorUri: row.actorUri,
    handle: row.handle,
    name: row.remoteName || row.handle || row.actorUri,
    url: row.remoteUrl ?? row.actorUri,
    userId: null,
    remoteActorId: row.remoteActorId,
    accepted: row.accepted,
    since: row.since,
  };
}

/** Page of a follow list: rows after `after` (a row id cursor), oldest first. */
export interface FollowPage {
  entries: FollowEntry[];
  /** Cursor for the next page, or null at the end. */
  next: number | null;
}

/** Whom a user follows (pending follows included, marked), in the order they were followed. */
export async function listFollowing(
  deps: Pick<SocialDeps, "db" | "config">,
  userId: number,
  page: { after?: number | null; limit: number },
): Promise<FollowPage> {
  const limit = Math.max(1, Math.min(page.limit, 200));
  const rows = await deps.db
    .select({
      id: following.id,
      actorUri: following.actorUri,
      userId: following.targetUserId,
      remoteActorId: following.remoteActorId,
      accepted: sql<boolean>`${following.acceptedAt} is not null`,
      since: following.createdAt,
      ...entryColumns,
    })
    .from(following)
    .leftJoin(users, eq(users.id, following.targetUserId))
    .leftJoin(remoteActors, eq(remoteActors.id, following.remoteActorId))
    .where(and(eq(following.userId, userId), page.after ? gt(following.id, page.after) : undefined))
    .orderBy(asc(following.id))
    .limit(limit);
  return {
    entries: rows.map((r) => toEntry(deps.config, r)),
    next: rows.length === limit ? rows.at(-1)!.id : null,
  };
}

/** Who follows a user, in the order they followed. */
export async function listFollowers(
  deps: Pick<SocialDeps, "db" | "config">,
  userId: number,
  page: { after?: number | null; limit: number },
): Promise<FollowPage> {
  const limit = Math.max(1, Math.min(page.limit, 200));
  const rows = await deps.db
    .select({
      id: followers.id,
      actorUri: followers.actorUri,
      userId: followers.followerUserId,
      remoteActorId: followers.remoteActorId,
      accepted: sql<boolean>`true`,
      since: followers.createdAt,
      ...entryColumns,
    })
    .from(followers)
    .leftJoin(users, eq(users.id, followers.followerUserId))
    .leftJoin(remoteActors, eq(remoteActors.id, followers.remoteActorId))
    .where(and(eq(followers.userId, userId), page.after ? gt(followers.id, page.after) : undefined))
    .orderBy(asc(followers.id))
    .limit(limit);
  return {
    entries: rows.map((r) => toEntry(deps.config, r)),
    next: rows.length === limit ? rows.at(-1)!.id : null,
  };
}

/** How many a user follows (accepted) and how many follow them. */
export async function followCounts(
  db: Db,
  userId: number,
): Promise<{ following: number; followers: number }> {
  const [a] = await db
    .select({ n: count() })
    .from(following)
    .where(and(eq(following.userId, userId), isNotNull(following.acceptedAt)));
  const [b] = await db.select({ n: count() }).from(followers).where(eq(followers.userId, userId));
  return { following: a?.n ?? 0, followers: b?.n ?? 0 };
}

/**
 * Remote followers of a user and of the accounts it mentions: where a post of theirs goes.
 * Local followers get nothing delivered (they read the same database).
 */
export async function remoteFollowerInboxes(
  db: Db,
  userId: number,
): Promise<{ actorUri: string; inboxUrl: string; sharedInboxUrl: string | null }[]> {
  return db
    .select({
      actorUri: followers.actorUri,
      inboxUrl: followers.inboxUrl,
      sharedInboxUrl: followers.sharedInboxUrl,
    })
    .from(followers)
    .where(and(eq(followers.userId, userId), isNotNull(followers.remoteActorId)))
    .orderBy(asc(followers.id));
}

/** Whether any local user follows this remote actor (pending follows count: the Accept may lag). */
export async function isFollowedHere(db: Db, actorUri: string): Promise<boolean> {
  const [row] = await db
    .select({ id: following.id })
    .from(following)
    .where(eq(following.actorUri, actorUri))
    .limit(1);
  return row !== undefined;
}

// --- What the inbox records (the federation adapter calls these with the activity checked) ---

/**
 * A remote actor follows a local user (their `Follow` arrived; followers are accepted
 * automatically). A repeated Follow updates the row (its id, the inboxes).
 */
export async function addRemoteFollower(
  db: Db,
  clock: Clock,
  follower: { userId: number; actor: RemoteActor; followId: string },
): Promise<boolean> {
  const { actor } = follower;
  if (!actor.inboxUrl) return false;
  const inboxes = { inboxUrl: actor.inboxUrl, sharedInboxUrl: actor.sharedInboxUrl };
  await db
    .insert(followers)
    .values({
      userId: follower.userId,
      actorUri: actor.uri,
      remoteActorId: actor.id,
      ...inboxes,
      followId: follower.followId,
      createdAt: clock.now(),
    })
    .onConflictDoUpdate({
      target: [followers.userId, followers.actorUri],
      set: { ...inboxes, remoteActorId: actor.id, followId: follower.followId },
    });
  return true;
}

/**
 * The `Accept` of one of our Follows: matched by the Follow's id and the accepting actor, so
 * nobody can accept on someone else's behalf. False if it matched nothing.
 */
export async function acceptFollowing(
  db: Db,
  clock: Clock,
  accept: { followId: string; actorUri: string },
): Promise<boolean> {
  const rows = await db
    .update(following)
    .set({ acceptedAt: clock.now() })
    .where(and(eq(following.followId, accept.followId), eq(following.actorUri, accept.actorUri)))
    .returning({ id: following.id });
  return rows.length > 0;
}

/** The `Reject` of one of our Follows (also how a followed actor removes us later). */
export async function rejectFollowing(
  db: Db,
  reject: { followId: string; actorUri: string },
): Promise<boolean> {
  const rows = await db
    .delete(following)
    .where(and(eq(following.followId, reject.followId), eq(following.actorUri, reject.actorUri)))
    .returning({ id: following.id });
  return rows.length > 0;
}

/**
 * `Undo(Follow)` from a remote follower: found by the Follow's id, or (servers whose Undo
 * carries a Follow without the id we stored) by the followed user and the follower. Only the
 * follower can undo their follow: `actorUri` is the Undo's verified actor.
 */
export async function removeRemoteFollower(
  db: Db,
  undo: { actorUri: string; followId: string; userId?: number | null },
): Promise<boolean> {
  const rows = await db
    .delete(followers)
    .where(
      and(
        eq(followers.actorUri, undo.actorUri),
        isNotNull(followers.remoteActorId),
        undo.userId != null
          ? or(eq(followers.followId, undo.followId), eq(followers.userId, undo.userId))
          : eq(followers.followId, undo.followId),
      ),
    )
    .returning({ id: followers.id });
  return rows.length > 0;
}
