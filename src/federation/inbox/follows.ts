import type { InboxContext } from "@fedify/fedify";
import { Accept, Follow, type Reject, type Undo } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import {
  acceptFollowing,
  addRemoteFollower,
  rejectFollowing,
  removeRemoteFollower,
} from "../../social/follows.ts";
import { remoteActorFor } from "../actor-cache.ts";
import { localUser } from "../actors.ts";
import type { FederationData } from "../federation.ts";
import { dbOf, withOutbox } from "../outbox.ts";

/*
 * Inbox listeners for follows (thin: check the activity, call a door of src/social/follows.ts).
 * The HTTP guard has verified that the activity's id, actor and signer share one origin.
 */

const logger = getLogger(["fediflattr", "federation", "follows"]);

/** The local user an activity's object names, if it is one of our actors. */
async function targetUser(ctx: InboxContext<FederationData>, object: URL | null) {
  const parsed = ctx.parseUri(object);
  return parsed?.type === "actor" ? localUser(ctx, parsed.identifier) : null;
}

/** Someone follows a local user. Followers are accepted automatically. */
export async function onFollow(ctx: InboxContext<FederationData>, follow: Follow): Promise<void> {
  if (!follow.id || !follow.actorId) return;
  const user = await targetUser(ctx, follow.objectId);
  if (!user) return;
  const follower = await remoteActorFor(ctx, follow.actorId);
  if (!follower || follower.uri !== follow.actorId.href || !follower.inboxUrl) {
    logger.info("Follow {id}: its actor could not be fetched", { id: follow.id.href });
    return;
  }
  const followId = follow.id.href;
  await withOutbox(ctx, async (tx) => {
    await addRemoteFollower(tx, ctx.data.clock, { userId: user.id, actor: follower, followId });
    // A repeated Follow is accepted again, as Mastodon does: the follower may have lost ours.
    await ctx.sendActivity(
      { identifier: user.username },
      {
        id: new URL(follower.uri),
        inboxId: new URL(follower.inboxUrl!),
        endpoints: follower.sharedInboxUrl
          ? { sharedInbox: new URL(follower.sharedInboxUrl) }
          : null,
      },
      new Accept({
        id: new URL(`${ctx.getActorUri(user.username).href}#accepts/${crypto.randomUUID()}`),
        actor: ctx.getActorUri(user.username),
        object: follow,
        to: new URL(follower.uri),
      }),
    );
  });
}

/**
 * An `Accept` of one of our Follows, matched by the Follow's id and the accepting actor, so
 * nobody can accept on someone else's behalf. Returns whether it was ours to handle.
 */
export async function onAcceptFollow(
  ctx: InboxContext<FederationData>,
  accept: Accept,
): Promise<boolean> {
  if (!accept.actorId || !accept.objectId) return false;
  return acceptFollowing(dbOf(ctx), ctx.data.clock, {
    followId: accept.objectId.href,
    actorUri: accept.actorId.href,
  });
}

/** A `Reject` of one of our Follows (also how a followed actor removes us later). */
export async function onRejectFollow(
  ctx: InboxContext<FederationData>,
  reject: Reject,
): Promise<boolean> {
  if (!reject.actorId || !reject.objectId) return false;
  return rejectFollowing(dbOf(ctx), {
    followId: reject.objectId.href,
    actorUri: reject.actorId.href,
  });
}

/**
 * `Undo(Follow)`: found by the Follow's id, or, for servers whose Undo carries a Follow without
 * the id we stored, by (follower, followed). Only the follower can undo their follow.
 */
export async function onUndoFollow(
  ctx: InboxContext<FederationData>,
  undo: Undo,
): Promise<boolean> {
  if (!undo.actorId || !undo.objectId) return false;
  const db = dbOf(ctx);
  const actorUri = undo.actorId.href;
  if (await removeRemoteFollower(db, { actorUri, followId: undo.objectId.href })) return true;
  let object: unknown = null;
  try {
    object = await undo.getObject();
  } catch {
    return false;
  }
  if (!(object instanceof Follow) || object.actorId?.href !== actorUri) return false;
  const user = await targetUser(ctx, object.objectId);
  if (!user) return false;
  return removeRemoteFollower(db, { actorUri, followId: undo.objectId.href, userId: user.id });
}
