import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { listenChannel } from "../db/listen.ts";

/*
 * What the streaming API tells connected apps, as it happens (docs/adr/0021): a new status, a
 * deleted one, a new notification. The database announces them itself (NOTIFY on
 * fediflattr_stream from triggers, at commit), so writes of any process reach the process that
 * holds the connections, on PostgreSQL and on PGlite alike. Payloads carry ids only.
 */

export const STREAM_CHANNEL = "fediflattr_stream";

export type StreamEvent =
  | { kind: "status"; id: bigint }
  | { kind: "delete"; id: bigint }
  | { kind: "notification"; id: bigint; userId: number };

const ID = /^[0-9]{1,19}$/;

/** The event a NOTIFY payload names, or null for anything else. */
export function parseStreamEvent(payload: string): StreamEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(payload);
  } catch {
    return null;
  }
  if (data === null || typeof data !== "object") return null;
  const { kind, id, user } = data as Record<string, unknown>;
  if (typeof id !== "string" || !ID.test(id)) return null;
  if (kind === "status" || kind === "delete") return { kind, id: BigInt(id) };
  if (kind === "notification" && typeof user === "number" && Number.isSafeInteger(user))
    return { kind, id: BigInt(id), userId: user };
  return null;
}

/**
 * Calls `onEvent` for every stream event committed from now on, until the returned function is
 * called; undefined when the database cannot listen (then nothing streams).
 */
export function listenStreamEvents(
  db: Db,
  onEvent: (event: StreamEvent) => void,
): Promise<(() => Promise<void>) | undefined> {
  return listenChannel(db, STREAM_CHANNEL, (payload) => {
    const event = parseStreamEvent(payload);
    if (event) onEvent(event);
  });
}

/** Who a new status is streamed to. */
export interface StatusAudience {
  visibility: string;
  /** Written here (public:local) or on another server (public:remote). */
  local: boolean;
  /** Local users whose home timeline shows it: its local author and their accepted followers. */
  home: Set<number>;
}

/** The audience of a live status, or null (unknown or deleted). */
export async function statusAudience(db: Db, statusId: bigint): Promise<StatusAudience | null> {
  const [row] = await queryRows<{
    visibility: string;
    user_id: string | null;
    followers: string | null;
  }>(
    db,
    sql`select s.visibility, s.user_id::text as user_id,
               (select string_agg(f.user_id::text, ',') from following f
                 where f.accepted_at is not null
                   and ((s.user_id is not null and f.target_user_id = s.user_id)
                        or (s.remote_actor_id is not null and f.remote_actor_id = s.remote_actor_id))
               ) as followers
          from statuses s
         where s.id = ${statusId}::int8 and s.deleted_at is null`,
  );
  if (!row) return null;
  const home = new Set<number>();
  // Direct messages reach people as mention notifications, not in home timelines.
  if (row.visibility !== "direct") {
    if (row.user_id !== null) home.add(Number(row.user_id));
    for (const id of row.followers?.split(",") ?? []) home.add(Number(id));
  }
  return { visibility: row.visibility, local: row.user_id !== null, home };
}
