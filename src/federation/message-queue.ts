import { AsyncLocalStorage } from "node:async_hooks";
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { type SQL, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { fedifyQueue } from "../db/schema/federation.ts";

const logger = getLogger(["fediflattr", "federation", "queue"]);

/** The PostgreSQL NOTIFY channel; the payload is the queue's channel name. */
const NOTIFY_CHANNEL = "fediflattr_queue";
/** PostgreSQL allows 65 535 bind parameters per statement; a row takes four. */
const INSERT_CHUNK = 1000;

/**
 * The transaction that enqueues (and KV calls) inside `run(tx, fn)` go through. This is how
 * `ctx.sendActivity()`, which only ever calls `queue.enqueue()`, lands its deliveries in the
 * caller's domain transaction. Share one scope between the queues and the KV store.
 */
export class TransactionScope {
  readonly #storage = new AsyncLocalStorage<Db>();

  /** On PGlite, `fn` must not use the base database while `tx` is open: it would wait forever. */
  run<T>(tx: Db, fn: () => Promise<T>): Promise<T> {
    return this.#storage.run(tx, fn);
  }

  current(): Db | undefined {
    return this.#storage.getStore();
  }

  /** Runs `fn` outside any transaction of this scope (listeners must never inherit one). */
  exit<T>(fn: () => T): T {
    return this.#storage.exit(fn);
  }
}

export interface DbMessageQueueOptions {
  /** Logical queue in the shared table (default "default"); e.g. "inbox" and "outbox". */
  channel?: string;
  /** Shared with the KV store and other queues; a fresh one by default. */
  scope?: TransactionScope;
  /** How often an idle listener looks for work (default 1000 ms). */
  pollIntervalMs?: number;
  /**
   * How long a claimed message stays invisible to other listeners (default 60 000 ms). The
   * listener renews it every third of that while the handler runs, so only a dead process
   * (or a blocked event loop) lets it lapse; then another listener takes the message over.
   */
  leaseMs?: number;
  /** Messages one `listen()` handles at once (default 1). Ordering keys are still honoured. */
  concurrency?: number;
  /** Claims after which a message whose handler keeps throwing is dropped (default 10). */
  maxAttempts?: number;
  /** Delay before a message whose handler threw is offered again (default 2^(n-1) s, ≤ 15 min). */
  retryDelayMs?: (attempts: number) => number;
  /** Use LISTEN/NOTIFY to wake listeners at once (default true); polling works without it. */
  notify?: boolean;
}

interface ClaimedRow extends Record<string, unknown> {
  id: string;
  message: string;
  attempts: number;
  orderingKey: string | null;
}

/**
 * Fedify's MessageQueue on our database (table fedify_queue): the transactional outbox.
 *
 * - Claiming: one UPDATE over a `FOR UPDATE SKIP LOCKED` subquery sets a lease (`locked_until`)
 *   and bumps `attempts`, so any number of listeners in any number of processes on PostgreSQL
 *   each get different rows. The handler runs outside any transaction (it does network I/O, and
 *   on PGlite an open transaction would block every other query); the row is deleted when it
 *   returns. Delivery is therefore at least once: a crash between the handler's effect and the
 *   delete repeats the message after the lease lapses.
 * - Ordering: a message with an ordering key is claimable only when no older row of the same
 *   key and channel exists, claimed or not, so same-key messages run one at a time in enqueue
 *   order (for enqueues from concurrent transactions, in order of their ids). Do not wrap this
 *   queue in Fedify's ParallelMessageQueue: its handler returns before the work is done, which
 *   would delete rows early and break both guarantees; use `concurrency` instead.
 * - Retries: `nativeRetrial` is false. Fedify then applies its own retry policies (backoff,
 *   giving up, permanent-failure handler) by re-enqueuing a failed delivery with a delay and
 *   returning normally; it throws only on unexpected errors (e.g. the re-enqueue itself failed).
 *   For those the row is offered again after `retryDelayMs`, up to `maxAttempts` claims, then
 *   dropped with an error log. The same limit drops a message whose handler crashed the process
 *   `maxAttempts` times.
 * - Transactions: inside `scope.run(tx, fn)` (what `withOutbox` in outbox.ts does around
 *   `ctx.sendActivity()`, which only ever calls `enqueue()`), the row is inserted in `tx`: it
 *   commits or rolls back with the domain write. NOTIFY is transactional too, so listeners wake
 *   only on commit.
 * - Times (delays, leases) are the database server's, so processes on different hosts agree.
 */
export class DbMessageQueue implements MessageQueue {
  readonly nativeRetrial = false;
  readonly channel: string;
  readonly #scope: TransactionScope;
  readonly #db: Db;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: (attempts: number) => number;
  readonly #notify: boolean;
  /** Wakes this instance's idle listeners (local enqueues, NOTIFY, finished handlers). */
  readonly #wakers = new Set<() => void>();

  constructor(db: Db, options: DbMessageQueueOptions = {}) {
    this.#db = db;
    this.channel = options.channel ?? "default";
    this.#scope = options.scope ?? new TransactionScope();
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#maxAttempts = options.maxAttempts ?? 10;
    this.#retryDelayMs = options.retryDelayMs ?? ((n) => Math.min(1000 * 2 ** (n - 1), 900_000));
    this.#notify = options.notify ?? true;
  }

  /** Enqueues in the scope's open transaction if there is one (see `withOutbox`), else at once. */
  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.#insert([message], options);
  }

  enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.#insert(messages, options);
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const rows = await queryRows<{ ready: string; delayed: string }>(
      this.#scope.current() ?? this.#db,
      sql`select count(*) filter (where available_at <= now())::text as ready,
                 count(*) filter (where available_at > now())::text as delayed
          from fedify_queue
          where channel = ${this.channel} and (locked_until is null or locked_until < now())`,
    );
    const ready = Number(rows[0]?.ready ?? 0);
    const delayed = Number(rows[0]?.delayed ?? 0);
    return { queued: ready + delayed, ready, delayed };
  }

  /**
   * Claims and handles messages until `signal` aborts, then waits for the handlers in flight.
   * Never rejects: database errors are logged and retried after the poll interval.
   */
  listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    // A listener started inside an open transaction's scope must not enqueue retries into it.
    return this.#scope.exit(() => this.#listen(handler, options.signal));
  }

  async #listen(
    handler: (message: unknown) => Promise<void> | void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    // A wake that arrives while claiming must not be lost, hence the flag besides the resolver.
    let pending = false;
    let stopWaiting: (() => void) | undefined;
    const wake = () => {
      pending = true;
      stopWaiting?.();
    };
    this.#wakers.add(wake);
    const stopNotify = this.#notify ? await this.#subscribe(signal) : undefined;
    try {
      while (!signal?.aborted) {
        pending = false;
        const free = this.#concurrency - inFlight.size;
        let claimed: ClaimedRow[] = [];
        if (free > 0) {
          try {
            claimed = await this.#claim(free);
          } catch (error) {
            logger.error("Claiming queue messages failed: {error}", { error });
          }
        }
        for (const row of claimed) {
          const p = this.#handle(row, handler).finally(() => {
            inFlight.delete(p);
            wake();
          });
          inFlight.add(p);
        }
        // A full batch suggests more is waiting; otherwise sleep until something happens.
        if ((free > 0 && claimed.length === free) || pending) continue;
        // An abort during the claim has fired its event already: waiting for it would sleep a
        // whole poll interval before shutting down.
        if (signal?.aborted) break;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            stopWaiting = undefined;
            resolve();
          };
          const timer = setTimeout(done, this.#pollIntervalMs);
          signal?.addEventListener("abort", done, { once: true });
          stopWaiting = done;
        });
      }
    } finally {
      this.#wakers.delete(wake);
      await Promise.allSettled(inFlight);
      await stopNotify?.();
    }
  }

  async #insert(
    messages: readonly unknown[],
    options: MessageQueueEnqueueOptions | undefined,
  ): Promise<void> {
    if (messages.length === 0) return;
    const exec = this.#scope.current();
    const delayMs = Math.max(0, options?.delay?.total({ unit: "millisecond" }) ?? 0);
    // clock_timestamp(), not now(): inside a long transaction now() is its start.
    const availableAt = sql`clock_timestamp() + ${delayMs} * interval '1 millisecond'`;
    const rows = messages.map((m) => ({
      channel: this.channel,
      message: encodeMessage(m),
      orderingKey: options?.orderingKey ?? null,
      availableAt,
    }));
    const write = async (db: Db) => {
      if (rows.length === 1 && this.#notify) {
        // The common case in one round trip: the insert and its wake-up in one statement.
        const row = rows[0]!;
        await db.execute(
          sql`with inserted as (
                insert into fedify_queue (channel, message, ordering_key, available_at)
                values (${row.channel}, ${row.message}, ${row.orderingKey}, ${row.availableAt})
                returning 1)
              select pg_notify(${NOTIFY_CHANNEL}, ${this.channel}) from inserted`,
        );
        return;
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await db.insert(fedifyQueue).values(rows.slice(i, i + INSERT_CHUNK));
      }
      if (this.#notify) await db.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, ${this.channel})`);
    };
    // A batch is all or nothing, also when it takes several statements.
    if (exec === undefined && rows.length > INSERT_CHUNK) {
      await this.#db.transaction((tx) => write(tx as Db));
    } else {
      await write(exec ?? this.#db);
    }
    if (!this.#notify && exec === undefined) {
      // Committed already: this process's listeners need not wait for the next poll.
      this.#wakeAll();
    }
  }

  #claim(limit: number): Promise<ClaimedRow[]> {
    return queryRows<ClaimedRow>(
      this.#db,
      sql`update fedify_queue q
          set locked_until = clock_timestamp() + ${this.#leaseMs} * interval '1 millisecond',
              attempts = q.attempts + 1
          from (
            select c.id from fedify_queue c
            where c.channel = ${this.channel}
              and c.available_at <= now()
              and (c.locked_until is null or c.locked_until < now())
              and (c.ordering_key is null or not exists (
                select 1 from fedify_queue p
                where p.channel = c.channel and p.ordering_key = c.ordering_key and p.id < c.id))
            order by c.available_at, c.id
            limit ${limit}
            for update skip locked
          ) picked
          where q.id = picked.id
          returning q.id::text as id, q.message, q.attempts, q.ordering_key as "orderingKey"`,
    );
  }

  async #handle(
    row: ClaimedRow,
    handler: (message: unknown) => Promise<void> | void,
  ): Promise<void> {
    const attempts = Number(row.attempts);
    const owned = sql`id = ${row.id}::bigint and attempts = ${attempts}`;
    if (attempts > this.#maxAttempts) {
      // Claimed this often without being finished: its handler keeps killing the process.
      logger.error("Dropping queue message {id} after {attempts} claims: {message}", {
        id: row.id,
        attempts,
        message: row.message.slice(0, 500),
      });
      await this.#tryRun(sql`delete from fedify_queue where ${owned}`);
      return;
    }
    const renew = setInterval(() => {
      void this.#tryRun(
        sql`update fedify_queue
            set locked_until = clock_timestamp() + ${this.#leaseMs} * interval '1 millisecond'
            where ${owned}`,
      );
    }, this.#leaseMs / 3);
    try {
      await handler(JSON.parse(row.message));
    } catch (error) {
      clearInterval(renew);
      if (attempts >= this.#maxAttempts) {
        logger.error("Dropping queue message {id}: its handler failed {attempts} times: {error}", {
          id: row.id,
          attempts,
          error,
        });
        await this.#tryRun(sql`delete from fedify_queue where ${owned}`);
      } else {
        const retryMs = this.#retryDelayMs(attempts);
        logger.warn(
          "Queue message {id} failed (attempt {attempts}), retry in {retryMs} ms: {error}",
          {
            id: row.id,
            attempts,
            retryMs,
            error,
          },
        );
        await this.#tryRun(
          sql`update fedify_queue
              set locked_until = null,
                  available_at = clock_timestamp() + ${retryMs} * interval '1 millisecond'
              where ${owned}`,
        );
      }
      return;
    }
    clearInterval(renew);
    // If the lease lapsed and another listener took over, its claim bumped `attempts`: the row
    // is then left to that listener (which repeats the message, as at-least-once allows).
    await this.#tryRun(sql`delete from fedify_queue where ${owned}`);
    // The next message of this key is claimable now; tell other processes too.
    if (row.orderingKey != null && this.#notify) {
      await this.#tryRun(sql`select pg_notify(${NOTIFY_CHANNEL}, ${this.channel})`);
    }
  }

  /** Bookkeeping after a handler: on failure the lease simply lapses and the row comes back. */
  async #tryRun(query: SQL): Promise<void> {
    try {
      await this.#db.execute(query);
    } catch (error) {
      logger.error("Queue bookkeeping failed: {error}", { error });
    }
  }

  #wakeAll(): void {
    for (const wake of this.#wakers) wake();
  }

  /** LISTEN on the driver's client if it has one (postgres.js and PGlite both do). */
  async #subscribe(signal: AbortSignal | undefined): Promise<(() => Promise<void>) | undefined> {
    const client = (this.#db as unknown as { $client?: unknown }).$client as
      | { listen?: (channel: string, cb: (payload: string) => void) => Promise<unknown> }
      | undefined;
    if (typeof client?.listen !== "function" || signal?.aborted) return undefined;
    const onNotify = (payload: string) => {
      if (payload === this.channel) this.#wakeAll();
    };
    try {
      // Bounded: a LISTEN that never answers must not keep the listener from polling.
      const handle = await withTimeout(client.listen(NOTIFY_CHANNEL, onNotify), LISTEN_TIMEOUT_MS);
      return async () => {
        try {
          const unlisten =
            typeof handle === "function"
              ? handle() // PGlite
              : (handle as { unlisten(): Promise<void> }).unlisten(); // postgres.js
          // Bounded too: a shutdown must not hang on a stuck UNLISTEN.
          await withTimeout(Promise.resolve(unlisten), LISTEN_TIMEOUT_MS);
        } catch (error) {
          logger.warn("UNLISTEN failed: {error}", { error });
        }
      };
    } catch (error) {
      logger.warn("LISTEN failed, polling only: {error}", { error });
      return undefined;
    }
  }
}

const LISTEN_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function encodeMessage(message: unknown): string {
  const json = JSON.stringify(message);
  if (json === undefined) throw new TypeError("A queue message must be JSON-serializable");
  return json;
}
