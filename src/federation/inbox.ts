import type { Federation, InboxContext } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Add,
  Create,
  Delete,
  Follow,
  Like,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { onAddClaim } from "./claims.ts";
import type { FederationData } from "./federation.ts";
import { onAcceptFollow, onFollow, onRejectFollow, onUndoFollow } from "./inbox/follows.ts";
import { onLike, onUndoLike } from "./inbox/likes.ts";
import { onCreateNote, onDeleteObject, onUpdateObject } from "./inbox/notes.ts";
import { activityOrigin } from "./inbox-guard.ts";

const logger = getLogger(["fediflattr", "federation", "inbox"]);

type Handler<T extends Activity> = (
  ctx: InboxContext<FederationData>,
  activity: T,
) => Promise<void>;

/**
 * Drops activities whose id and actor do not share an origin. The HTTP guard (inbox-guard.ts)
 * refuses those already; this holds for activities that reach us any other way.
 */
function sameOrigin<T extends Activity>(handler: Handler<T>): Handler<T> {
  return async (ctx, activity) => {
    if (activityOrigin(activity) === null) {
      logger.warning("Ignored {id}: id and actor on different origins", { id: activity.id?.href });
      return;
    }
    await handler(ctx, activity);
  };
}

/**
 * Personal inboxes at `/users/{username}/inbox`, the shared inbox at `/inbox`. Accept, Reject
 * and Undo are shared by several features (follows now, flattrs and settlements later): each
 * feature's handler says whether the activity was its own, the first that claims it wins.
 */
export function registerInbox(federation: Federation<FederationData>): void {
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, sameOrigin(onFollow))
    .on(Like, sameOrigin(onLike))
    .on(Create, sameOrigin(onCreateNote))
    .on(Update, sameOrigin(onUpdateObject))
    .on(Delete, sameOrigin(onDeleteObject))
    .on(
      Add,
      sameOrigin(async (ctx, add) => {
        if (await onAddClaim(ctx, add)) return;
        logger.debug("Add {id} matched nothing of ours", { id: add.id?.href });
      }),
    )
    .on(
      Accept,
      sameOrigin(async (ctx, accept) => {
        if (await onAcceptFollow(ctx, accept)) return;
        logger.debug("Accept {id} matched nothing of ours", { id: accept.id?.href });
      }),
    )
    .on(
      Reject,
      sameOrigin(async (ctx, reject) => {
        if (await onRejectFollow(ctx, reject)) return;
        logger.debug("Reject {id} matched nothing of ours", { id: reject.id?.href });
      }),
    )
    .on(
      Undo,
      sameOrigin(async (ctx, undo) => {
        if (await onUndoFollow(ctx, undo)) return;
        if (await onUndoLike(ctx, undo)) return;
        logger.debug("Undo {id} matched nothing of ours", { id: undo.id?.href });
      }),
    )
    .onError((_ctx, error) => {
      logger.error("Inbox listener failed: {error}", { error });
    })
    .withIdempotency(idempotencyKey);
}

/**
 * Fedify's record of processed activities (its default, per inbox) costs three statements per
 * activity: a read when it arrives, another and a write in the worker. A `Like` needs none: the
 * flattr and favourite doors are idempotent by activity id in their own tables (a repeat changes
 * nothing), so the inbound flattr path skips it. Every other type keeps it (a repeated Follow
 * would be answered again). Only the request's read is skipped: Fedify 2.3's queue worker reads
 * and writes its own record (origin and activity id) for every queued activity whatever this
 * returns, which is one reason the usual flattr is stored in the request (ADR 0016, 0026).
 */
function idempotencyKey(ctx: InboxContext<FederationData>, activity: Activity): string | null {
  if (activity instanceof Like || activity.id === null) return null;
  const inbox = ctx.recipient == null ? "sharedInbox" : `inbox\n${ctx.recipient}`;
  return `${ctx.origin}\n${activity.id.href}\n${inbox}`;
}
