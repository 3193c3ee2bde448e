import type { MessageQueue } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { Db } from "../db/client.ts";
import { isDomainBlocked } from "../peers/blocks.ts";
import { hostOf } from "../peers/host.ts";

const logger = getLogger(["fediflattr", "federation", "outbox"]);

/*
 * Deliveries to blocked servers stop in two places, together covering every way Fedify sends:
 * - skipBlockedSends: `ctx.sendActivity()` hands its inboxes to the federation's internal
 *   `sendActivity(keys, inboxes, …)`, also with `{ immediate: true }` (sent at once, no queue)
 *   and for fan-out messages; blocked inboxes are taken out there, before anything is signed,
 *   queued or sent.
 * - skipBlockedDeliveries: every queued delivery is one outbox message per inbox; its handler
 *   drops those to servers blocked after they were queued.
 * Forwarding (Fedify's forwardActivity) sends on a path of its own, through neither: this code never
 *   forwards (test/unit/delivery-paths.test.ts keeps it so).
 * A dropped delivery counts as handled (not retried) and is logged.
 */

type Inboxes = Record<string, unknown>;
type SendActivity = (
  keys: unknown,
  inboxes: Inboxes,
  activity: { id?: URL | null },
  options: unknown,
) => Promise<void>;

/** Wraps the federation's one internal send so no delivery to a blocked server starts. */
export function skipBlockedSends(
  federation: object,
  isBlocked: (host: string) => Promise<boolean>,
): void {
  const impl = federation as { sendActivity?: SendActivity };
  if (typeof impl.sendActivity !== "function")
    throw new Error("Fedify's federation no longer has sendActivity(keys, inboxes, …)");
  const send = impl.sendActivity.bind(federation);
  impl.sendActivity = async (keys, inboxes, activity, options) => {
    const allowed: Inboxes = {};
    for (const [inbox, recipients] of Object.entries(inboxes)) {
      const host = hostOf(inbox);
      if (host === null || (await isBlocked(host))) {
        logger.info("Dropped delivery of {activity} to {inbox}: {host} is blocked", {
          activity: activity.id?.href,
          inbox,
          host,
        });
        continue;
      }
      allowed[inbox] = recipients;
    }
    if (Object.keys(allowed).length === 0) return;
    await send(keys, allowed, activity, options);
  };
}

/** The outbox queue's part (see above): messages queued before their server was blocked. */
export function skipBlockedDeliveries(queue: MessageQueue, db: Db): MessageQueue {
  return {
    nativeRetrial: queue.nativeRetrial,
    enqueue: (message, options) => queue.enqueue(message, options),
    enqueueMany: queue.enqueueMany
      ? (messages, options) => queue.enqueueMany!(messages, options)
      : undefined,
    getDepth: queue.getDepth ? () => queue.getDepth!() : undefined,
    listen: (handler, options) =>
      queue.listen(async (message) => {
        const inbox = outboxInbox(message);
        const host = inbox === null ? null : hostOf(inbox);
        if (host !== null && (await isDomainBlocked(db, host))) {
          logger.info("Dropped delivery of {activity} to {inbox}: {host} is blocked", {
            activity: (message as { activityId?: string }).activityId,
            inbox,
            host,
          });
          return;
        }
        await handler(message);
      }, options),
  };
}

function outboxInbox(message: unknown): string | null {
  if (typeof message !== "object" || message === null) return null;
  const m = message as { type?: unknown; inbox?: unknown };
  return m.type === "outbox" && typeof m.inbox === "string" ? m.inbox : null;
}
