import type { Context, InboxContext } from "@fedify/fedify";
import { Accept, type Actor, Follow, isActor, type Reject, Undo } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { and, eq } from "drizzle-orm";
import { findUserByUsername } from "../accounts/users.ts";
import { followers, following } from "../db/schema/index.ts";
import { DomainError } from "../errors.ts";
import { localUser } from "./actors.ts";
import type { FederationData } from "./federation.ts";
import { dbOf, withOutbox } from "./outbox.ts";

const logger = getLogger(["fediflattr", "federation", "follows"]);

export const FOLLOW_ERROR_CODES = [
  "user_not_found",
  "actor_not_found",
  "no_inbox",
  "self_follow",
] as const;
export type FollowErrorCode = (typeof FOLLOW_ERROR_CODES)[number];

/** Why a follow or unfollow was refused (nothing was recorded or sent). */
export class FollowError extends DomainError<FollowErrorCode> {
  constructor(code: FollowErrorCode, message: string) {
    super(code, message);
    this.name = "FollowError";
  }
}

/** A fresh activity id under a local actor: the same (actor, object) may recur, ids must not. */
function activityId(ctx: Context<FederationData>, username: string, kind: string): URL {
  return new URL(`#${kind}/${crypto.randomUUID()}`, ctx.getActorUri(username));
}

function inboxesOf(actor: Actor): { inboxUrl: string; sharedInboxUrl: string | null } | null {
  if (!actor.inboxId) return null;
  return {
    inboxUrl: actor.inboxId.href,
    sharedInboxUrl: actor.endpoints?.sharedInbox?.href ?? null,
  };
}

export interface FollowResult {
  actorUri: string;
  followId: string;
  /** True once the remote side accepted (a repeated follow of an accepted actor sends nothing). */
  accepted: boolean;
}

/**
 * A local user follows an actor given by handle (`user@host`, `@user@host`; https only) or by
 * URI: records a pending `following` row and sends a `Follow`, in one transaction; the row is
 * marked accepted when the `Accept` arrives. Following an accepted actor again changes nothing;
 * following a pending one sends a fresh Follow. Throws FollowError for bad targets.
 */
export async function followRemote(
  ctx: Context<FederationData>,
  username: string,
  handleOrUri: string,
): Promise<FollowResult> {
  const user = await findUserByUsername(dbOf(ctx), username);
  if (!user) throw new FollowError("user_not_found", `No local user "${username}".`);
  const target = handleOrUri.trim();
  let actor: unknown = null;
  if (target !== "" && target.length <= 2048) {
    try {
      actor = await ctx.lookupObject(target);
    } catch (error) {
      logger.info("Lookup of {target} failed: {error}", { target, error });
    }
  }
  if (!isActor(actor) || !actor.id)
    throw new FollowError("actor_not_found", `Could not find "${target}".`);
  const inboxes = inboxesOf(actor);
  if (!inboxes)
    throw new FollowError("no_inbox", `"${target}" has no inbox; it cannot be followed.`);
  const self = ctx.getActorUri(user.username);
  if (actor.id.href === self.href)
    throw new FollowError("self_follow", "You cannot follow yourself.");
  const actorUri = actor.id.href;

  return withOutbox(ctx, async (tx) => {
    const [existing] = await tx
      .select({ followId: following.followId, acceptedAt: following.acceptedAt })
      .from(following)
      .where(and(eq(following.userId, user.id), eq(following.actorUri, actorUri)));
    if (existing?.acceptedAt) return { actorUri, followId: existing.followId, accepted: true };
    const followId = activityId(ctx, user.username, "follows");
    await tx
      .insert(following)
      .values({
        userId: user.id,
        actorUri,
        ...inboxes,
        followId: followId.href,
        createdAt: ctx.data.clock.now(),
      })
      .onConflictDoUpdate({
        target: [following.userId, following.actorUri],
        set: { ...inboxes, followId: followId.href, acceptedAt: null },
      });
    await ctx.sendActivity(
      { identifier: user.username },
      actor,
      new Follow({ id: followId, actor: self, object: actor.id, to: actor.id }),
    );
    return { actorUri, followId: followId.href, accepted: false };
  });
}

/**
 * Stops following: removes the row and sends `Undo(Follow)` in one transaction. False if there
 * was nothing to undo.
 */
export async function unfollowRemote(
  ctx: Context<FederationData>,
  username: string,
  actorUri: string,
): Promise<boolean> {
  const user = await findUserByUsername(dbOf(ctx), username);
  if (!user) throw new FollowError("user_not_found", `No local user "${username}".`);
  return withOutbox(ctx, async (tx) => {
    const [row] = await tx
      .delete(following)
      .where(and(eq(following.userId, user.id), eq(following.actorUri, actorUri)))
      .returning();
    if (!row) return false;
    const self = ctx.getActorUri(user.username);
    const target = new URL(row.actorUri);
    const recipient = {
      id: target,
      inboxId: new URL(row.inboxUrl),
      endpoints: row.sharedInboxUrl ? { sharedInbox: new URL(row.sharedInboxUrl) } : null,
    };
    await ctx.sendActivity(
      { identifier: user.username },
      recipient,
      new Undo({
        id: activityId(ctx, user.username, "undo"),
        actor: self,
        object: new Follow({ id: new URL(row.followId), actor: self, object: target }),
        to: target,
      }),
    );
    return true;
  });
}

/** The local user an activity's object names, if it is one of our actors. */
async function targetUser(ctx: InboxContext<FederationData>, object: URL | null) {
  const parsed = ctx.parseUri(object);
  return parsed?.type === "actor" ? localUser(ctx, parsed.identifier) : null;
}

/** Inbox: someone follows a local user. Followers are accepted automatically. */
export async function onFollow(ctx: InboxContext<FederationData>, follow: Follow): Promise<void> {
  if (!follow.id || !follow.actorId) return;
  const user = await targetUser(ctx, follow.objectId);
  if (!user) return;
  const follower = await follow.getActor();
  if (!isActor(follower) || follower.id?.href !== follow.actorId.href) {
    logger.info("Follow {id}: its actor could not be fetched", { id: follow.id.href });
    return;
  }
  const inboxes = inboxesOf(follower);
  if (!inboxes) return;
  const followId = follow.id.href;
  await withOutbox(ctx, async (tx) => {
    await tx
      .insert(followers)
      .values({
        userId: user.id,
        actorUri: follower.id!.href,
        ...inboxes,
        followId,
        createdAt: ctx.data.clock.now(),
      })
      .onConflictDoUpdate({
        target: [followers.userId, followers.actorUri],
        set: { ...inboxes, followId },
      });
    // A repeated Follow is accepted again, as Mastodon does: the follower may have lost ours.
    await ctx.sendActivity(
      { identifier: user.username },
      follower,
      new Accept({
        id: activityId(ctx, user.username, "accepts"),
        actor: ctx.getActorUri(user.username),
        object: follow,
        to: follower.id,
      }),
    );
  });
}

/**
 * Inbox: an `Accept` of one of our Follows. Matched by the Follow's id and the accepting actor,
 * so nobody can accept on someone else's behalf. Returns whether it was ours to handle.
 */
export async function onAcceptFollow(
  ctx: InboxContext<FederationData>,
  accept: Accept,
): Promise<boolean> {
  if (!accept.actorId || !accept.objectId) return false;
  const updated = await dbOf(ctx)
    .update(following)
    .set({ acceptedAt: ctx.data.clock.now() })
    .where(
      and(
        eq(following.followId, accept.objectId.href),
        eq(following.actorUri, accept.actorId.href),
      ),
    )
    .returning({ id: following.id });
  return updated.length > 0;
}

/** Inbox: a `Reject` of one of our Follows (also how a followed actor removes us later). */
export async function onRejectFollow(
  ctx: InboxContext<FederationData>,
  reject: Reject,
): Promise<boolean> {
  if (!reject.actorId || !reject.objectId) return false;
  const removed = await dbOf(ctx)
    .delete(following)
    .where(
      and(
        eq(following.followId, reject.objectId.href),
        eq(following.actorUri, reject.actorId.href),
      ),
    )
    .returning({ id: following.id });
  return removed.length > 0;
}

/**
 * Inbox: `Undo(Follow)`. Found by the Follow's id, or, for servers whose Undo carries a Follow
 * without the id we stored, by (follower, followed). Only the follower can undo their follow.
 */
export async function onUndoFollow(
  ctx: InboxContext<FederationData>,
  undo: Undo,
): Promise<boolean> {
  if (!undo.actorId || !undo.objectId) return false;
  const db = dbOf(ctx);
  const byId = await db
    .delete(followers)
    .where(
      and(eq(followers.followId, undo.objectId.href), eq(followers.actorUri, undo.actorId.href)),
    )
    .returning({ id: followers.id });
  if (byId.length > 0) return true;
  let object: unknown = null;
  try {
    object = await undo.getObject();
  } catch {
    return false;
  }
  if (!(object instanceof Follow) || object.actorId?.href !== undo.actorId.href) return false;
  const user = await targetUser(ctx, object.objectId);
  if (!user) return false;
  const byPair = await db
    .delete(followers)
    .where(and(eq(followers.userId, user.id), eq(followers.actorUri, undo.actorId.href)))
    .returning({ id: followers.id });
  return byPair.length > 0;
}
