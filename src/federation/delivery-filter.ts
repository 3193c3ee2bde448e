import type { MessageQueue } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { Db } from "../db/client.ts";
import { isDomainBlocked } from "../peers/blocks.ts";
import { hostOf } from "../peers/host.ts";

const logger = getLogger(["fediflattr", "federation", "outbox"]);

/**
 * The one place deliveries to blocked servers stop: every activity Fedify sends leaves through
 * the outbox queue as one message per inbox (fan-out splits the others into these), so its
 * handler is where a block takes effect, also for messages queued before the block. A dropped
 * message counts as handled (not retried) and is logged.
 */
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
