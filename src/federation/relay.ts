import type { Context, Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { listenChannel } from "../db/listen.ts";
import type { Deps } from "../deps.ts";
import { likeUrl } from "../http/urls.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import { type FederationData, federationContext } from "./federation.ts";
import { withOutbox } from "./outbox.ts";
import { buildFlattrLike, buildFlattrUndo, type FlattrLikeInput } from "./vocab/flattr-like.ts";

/*
 * The relay (docs/adr/0009-typed-outbox-and-relay.md): turns typed outbox events, which the flattr
 * statement writes in the flattr's own transaction, into Fedify deliveries. Each event is claimed
 * FOR UPDATE SKIP LOCKED, sent with `ctx.sendActivity` inside `withOutbox` (which enqueues the
 * delivery in the same transaction) and deleted in that transaction: an event becomes exactly one
 * queued delivery, also with several relays in several processes. A flattr's events go in order:
 * its undo is not claimed while its like is still waiting (or being sent by another relay).
 */

const logger = getLogger(["fediflattr", "federation", "relay"]);

/** The NOTIFY channel flattr_thing / unflattr_thing / linkRemoteActor signal on commit. */
export const OUTBOX_EVENTS_CHANNEL = "fediflattr_outbox_events";

/** Events per transaction. */
const BATCH = 32;
/** A failed event waits 2^(attempts-1) s, at most an hour, then is tried again; never dropped. */
const retryDelayMs = (attempts: number) => Math.min(1000 * 2 ** (attempts - 1), 3600_000);

interface EventRow extends Record<string, unknown> {
  id: string;
  flattr_id: string;
  kind: "like" | "undo";
  like_id: string;
  period: string;
  created_at: string | Date;
  username: string;
  object_uri: string | null;
  author_uri: string;
  inbox_url: string | null;
  shared_inbox_url: string | null;
}

/**
 * Claims up to `limit` events (or the one `onlyId`), oldest first, and keeps those whose flattr
 * has no older event outside the claim (another relay is sending it, or it waits for a retry):
 * a flattr's events go in order. The ones set aside stay locked until this transaction ends and
 * are claimed again later.
 */
async function claim(tx: Db, limit: number, onlyId: string | null): Promise<EventRow[]> {
  const rows = await queryRows<EventRow>(
    tx,
    sql`select e.id::text, e.flattr_id::text, e.kind, f.like_id, f.period, f.created_at,
               u.username, t.object_uri, a.uri as author_uri, a.inbox_url, a.shared_inbox_url
        from outbox_events e
        join flattrs f on f.id = e.flattr_id
        join users u on u.id = f.payer_id
        join things t on t.id = f.thing_id
        join remote_actors a on a.id = t.remote_owner_id
        where e.available_at <= now()
          and (${onlyId}::int8 is null or e.id = ${onlyId}::int8)
        order by e.id
        limit ${limit}::int4
        for update of e skip locked`,
  );
  if (rows.length === 0) return rows;
  const ids = JSON.stringify(rows.map((r) => r.id));
  const flattrIds = JSON.stringify([...new Set(rows.map((r) => r.flattr_id))]);
  const older = await queryRows<{ flattr_id: string; first: string }>(
    tx,
    sql`select flattr_id::text, min(id)::text as first from outbox_events
        where flattr_id in (select json_array_elements_text(${flattrIds}::json)::int8)
          and id not in (select json_array_elements_text(${ids}::json)::int8)
        group by flattr_id`,
  );
  const firstElsewhere = new Map(older.map((o) => [o.flattr_id, BigInt(o.first)]));
  return rows.filter((r) => {
    const first = firstElsewhere.get(r.flattr_id);
    return first === undefined || BigInt(r.id) < first;
  });
}

/** Sends one event's activity (enqueued in the open transaction). False: nothing to send. */
async function send(ctx: Context<FederationData>, e: EventRow): Promise<boolean> {
  const { config } = ctx.data;
  if (!e.object_uri || !e.inbox_url) {
    logger.warning("Outbox event {id}: the thing has no object id or its author no inbox", {
      id: e.id,
    });
    return false;
  }
  const input: FlattrLikeInput = {
    id: new URL(likeUrl(config, e.like_id)),
    actor: ctx.getActorUri(e.username),
    object: new URL(e.object_uri),
    to: new URL(e.author_uri),
    published: new Date(e.created_at),
    period: e.period,
    payerInstance: ctx.getActorUri(INSTANCE_ACTOR),
    currency: config.currency,
  };
  const recipient = {
    id: new URL(e.author_uri),
    inboxId: new URL(e.inbox_url),
    endpoints: e.shared_inbox_url ? { sharedInbox: new URL(e.shared_inbox_url) } : null,
  };
  const activity = e.kind === "like" ? buildFlattrLike(input) : buildFlattrUndo(input);
  // One peer inbox sees a flattr's Like before its Undo.
  await ctx.sendActivity({ identifier: e.username }, recipient, activity, {
    orderingKey: input.id.href,
  });
  return true;
}

/**
 * One relay transaction: claims events, queues their deliveries, deletes them, commits. Returns
 * how many events it handled. Throws when any of them could not be sent (nothing is then done).
 * A flattr's like and undo claimed together are sent in that order.
 */
export async function relayBatch(
  federation: Federation<FederationData>,
  deps: Deps,
  options: { limit?: number; onlyId?: string } = {},
): Promise<number> {
  const ctx = federationContext(federation, deps);
  return withOutbox(ctx, async (tx) => {
    const events = await claim(tx, options.limit ?? BATCH, options.onlyId ?? null);
    if (events.length === 0) return 0;
    for (const e of events) await send(ctx, e);
    await tx.execute(
      sql`delete from outbox_events
          where id in (select json_array_elements_text(${JSON.stringify(events.map((e) => e.id))}::json)::int8)`,
    );
    return events.length;
  });
}

/** After a failed batch: each claimable event alone; a failing one waits and is retried later. */
async function relayOneByOne(federation: Federation<FederationData>, deps: Deps): Promise<number> {
  const db = deps.database.db;
  const ids = await queryRows<{ id: string }>(
    db,
    sql`select id::text from outbox_events where available_at <= now() order by id limit ${BATCH}::int4`,
  );
  let done = 0;
  for (const { id } of ids) {
    try {
      done += await relayBatch(federation, deps, { onlyId: id });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const [row] = await queryRows<{ attempts: number }>(
        db,
        sql`update outbox_events set attempts = attempts + 1, last_error = ${message.slice(0, 500)}
            where id = ${id}::int8 returning attempts`,
      );
      const attempts = Number(row?.attempts ?? 1);
      await db.execute(
        sql`update outbox_events
            set available_at = clock_timestamp() + ${retryDelayMs(attempts)} * interval '1 millisecond'
            where id = ${id}::int8`,
      );
      logger.error("Outbox event {id} could not be relayed (attempt {attempts}): {error}", {
        id,
        attempts,
        error,
      });
    }
  }
  return done;
}

/** Relays until nothing is claimable; returns how many events were handled. */
export async function relayPending(
  federation: Federation<FederationData>,
  deps: Deps,
): Promise<number> {
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = await relayBatch(federation, deps);
    } catch (error) {
      logger.warning("A relay batch failed, relaying its events one by one: {error}", { error });
      n = await relayOneByOne(federation, deps);
      if (n === 0) return total;
    }
    total += n;
    if (n < BATCH) return total;
  }
}

export interface RelayOptions {
  /** How often an idle relay looks for events (default 1000 ms); NOTIFY wakes it earlier. */
  pollIntervalMs?: number;
}

/** Runs the relay in the worker until stopped: on every NOTIFY of a flattr's commit, and polling. */
export function startRelay(
  federation: Federation<FederationData>,
  deps: Deps,
  options: RelayOptions = {},
): { stop(): Promise<void> } {
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  let stopped = false;
  let pending = false;
  let wakeUp: (() => void) | null = null;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const loop = (async () => {
    const unlisten = await listenChannel(deps.database.db, OUTBOX_EVENTS_CHANNEL, wake);
    try {
      while (!stopped) {
        pending = false;
        try {
          await relayPending(federation, deps);
        } catch (error) {
          logger.error("Relaying outbox events failed: {error}", { error });
        }
        if (stopped || pending) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pollIntervalMs);
          function done() {
            clearTimeout(timer);
            wakeUp = null;
            resolve();
          }
          wakeUp = done;
        });
      }
    } finally {
      await unlisten?.();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}
