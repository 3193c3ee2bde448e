import {
  and,
  asc,
  desc,
  eq,
  gt,
  inArray,
  isNull,
  lt,
  notInArray,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { notifications } from "../db/schema/index.ts";

/*
 * A user's notifications (docs/adr/0021): favourites and flattrs of their posts, follows,
 * mentions. The rows are written by database triggers where those events are recorded
 * (src/db/sql/notification-triggers.sql); this module reads, dismisses and clears them.
 * Notifications about a post deleted since are not shown (its row stays: its money history).
 */

export const NOTIFICATION_TYPES = ["favourite", "follow", "mention"] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface Notification {
  id: bigint;
  type: NotificationType;
  createdAt: Date;
  /** A favourite that is a flattr (money at the close), not a plain favourite. */
  flattr: boolean;
  statusId: bigint | null;
  /** Who did it: a local user or a remote actor (exactly one is set). */
  fromUserId: number | null;
  fromRemoteActorId: bigint | null;
}

export interface NotificationQuery {
  /** Only these types (empty or absent: all). */
  types?: readonly string[];
  excludeTypes?: readonly string[];
  /** Only those from this account (a local user's id or a remote actor's). */
  accountId?: bigint;
  maxId?: bigint;
  sinceId?: bigint;
  minId?: bigint;
  limit: number;
}

type Row = typeof notifications.$inferSelect;

function toNotification(r: Row): Notification {
  return {
    id: r.id,
    type: r.type as NotificationType,
    createdAt: r.createdAt,
    flattr: r.flattr,
    statusId: r.statusId,
    fromUserId: r.fromUserId,
    fromRemoteActorId: r.fromRemoteActorId,
  };
}

/** Not dismissed, and not about a post deleted since. */
function visible(userId: number): SQL {
  return and(
    eq(notifications.userId, userId),
    isNull(notifications.dismissedAt),
    sql`(${notifications.statusId} is null or not exists (
           select 1 from statuses s where s.id = ${notifications.statusId}
              and s.deleted_at is not null))`,
  )!;
}

/**
 * A page of notifications, newest first, as Mastodon pages them: `maxId` older than, `sinceId`
 * newer than (the newest page), `minId` newer than (the page right after it).
 */
export async function listNotifications(
  db: Db,
  userId: number,
  q: NotificationQuery,
): Promise<Notification[]> {
  const conditions: SQL[] = [visible(userId)];
  if (q.types && q.types.length > 0) conditions.push(inArray(notifications.type, [...q.types]));
  if (q.excludeTypes && q.excludeTypes.length > 0)
    conditions.push(notInArray(notifications.type, [...q.excludeTypes]));
  if (q.accountId !== undefined) {
    const byUser = q.accountId <= BigInt(Number.MAX_SAFE_INTEGER);
    conditions.push(
      or(
        byUser ? eq(notifications.fromUserId, Number(q.accountId)) : sql`false`,
        eq(notifications.fromRemoteActorId, q.accountId),
      )!,
    );
  }
  if (q.maxId !== undefined) conditions.push(lt(notifications.id, q.maxId));
  if (q.sinceId !== undefined) conditions.push(gt(notifications.id, q.sinceId));
  if (q.minId !== undefined) conditions.push(gt(notifications.id, q.minId));
  const ascending = q.minId !== undefined;
  const rows = await db
    .select()
    .from(notifications)
    .where(and(...conditions))
    .orderBy(ascending ? asc(notifications.id) : desc(notifications.id))
    .limit(q.limit);
  if (ascending) rows.reverse();
  return rows.map(toNotification);
}

/** One of the user's notifications, or null (someone else's, dismissed, or none). */
export async function getNotification(
  db: Db,
  userId: number,
  id: bigint,
): Promise<Notification | null> {
  const [row] = await db
    .select()
    .from(notifications)
    .where(and(visible(userId), eq(notifications.id, id)));
  return row ? toNotification(row) : null;
}

/** Dismisses one notification; false when the user has no such notification. */
export async function dismissNotification(
  db: Db,
  clock: Clock,
  userId: number,
  id: bigint,
): Promise<boolean> {
  const rows = await db
    .update(notifications)
    .set({ dismissedAt: clock.now() })
    .where(
      and(
        eq(notifications.userId, userId),
        eq(notifications.id, id),
        isNull(notifications.dismissedAt),
      ),
    )
    .returning({ id: notifications.id });
  return rows.length > 0;
}

/** Dismisses all of the user's notifications. */
export async function clearNotifications(db: Db, clock: Clock, userId: number): Promise<void> {
  await db
    .update(notifications)
    .set({ dismissedAt: clock.now() })
    .where(and(eq(notifications.userId, userId), isNull(notifications.dismissedAt)));
}
