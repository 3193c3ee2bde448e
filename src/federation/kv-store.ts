import { isDeepStrictEqual } from "node:util";
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import { type Clock, systemClock } from "../config/clock.ts";
import { type Db, queryRows } from "../db/client.ts";

const logger = getLogger(["fediflattr", "federation", "kv"]);

export interface DbKvStoreOptions {
  /** Expiry is judged by this clock (tests step it). */
  clock?: Clock;
  /**
   * Where an open transaction can be found (pass the queue's `TransactionScope`). Inside
   * `scope.run(tx, …)` the store then reads and writes through `tx`: on PGlite the base database
   * waits for an open transaction to end, so a KV call from inside one would never return.
   */
  scope?: { current(): Db | undefined };
  /** At most one purge of expired rows per this many milliseconds (default 60 000). */
  purgeIntervalMs?: number;
  /** Rows per purge statement and per `list()` page (default 500). */
  batchSize?: number;
}

/**
 * Fedify's KvStore on our database (table fedify_kv). Values are stored as JSON, so only
 * JSON-serializable values round-trip (Fedify stores nothing else); storing `undefined` deletes
 * the key, which is what Fedify means by it (`cas(key, x, undefined)` consumes a nonce).
 * Expired rows are invisible to every method and are deleted in batches by `set`/`cas` at most
 * once per `purgeIntervalMs`, or by `purgeExpired()`.
 */
export class DbKvStore implements KvStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #scope: { current(): Db | undefined } | undefined;
  readonly #purgeIntervalMs: number;
  readonly #batchSize: number;
  #lastPurge = Number.NEGATIVE_INFINITY;

  constructor(db: Db, options: DbKvStoreOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#scope = options.scope;
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
    this.#batchSize = options.batchSize ?? 500;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const rows = await queryRows<{ value: string }>(
      this.#exec(),
      sql`select value from fedify_kv where key = ${encodeKey(key)} and ${this.#live()}`,
    );
    const row = rows[0];
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const json = encodeValue(value);
    if (json === undefined) return this.delete(key);
    await this.#exec().execute(sql`
      insert into fedify_kv (key, value, expires_at)
      values (${encodeKey(key)}, ${json}, ${this.#expiresAt(options)}::timestamptz)
      on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`);
    await this.#maybePurge();
  }

  async delete(key: KvKey): Promise<void> {
    await this.#exec().execute(sql`delete from fedify_kv where key = ${encodeKey(key)}`);
  }

  /**
   * Replaces the value only if the current one deep-equals `expectedValue` (`undefined`: the key
   * is absent or expired). The row is locked while comparing, so concurrent callers on
   * PostgreSQL serialize; an absent key is claimed by the insert's unique constraint.
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const k = encodeKey(key);
    const expectedJson = encodeValue(expectedValue);
    // Compare with what a JSON round trip makes of it: that is what `get` would have returned.
    const expected = expectedJson === undefined ? undefined : JSON.parse(expectedJson);
    const newJson = encodeValue(newValue);
    const expiresAt = this.#expiresAt(options);
    const swapped = await this.#exec().transaction(async (tx) => {
      const rows = await queryRows<{ value: string; live: boolean }>(
        tx,
        sql`select value, ${this.#live()} as live from fedify_kv where key = ${k} for update`,
      );
      const row = rows[0];
      const current = row?.live ? JSON.parse(row.value) : undefined;
      if (!isDeepStrictEqual(current, expected)) return false;
      if (newJson === undefined) {
        if (row) await tx.execute(sql`delete from fedify_kv where key = ${k}`);
        return true;
      }
      if (row) {
        await tx.execute(sql`
          update fedify_kv set value = ${newJson}, expires_at = ${expiresAt}::timestamptz
          where key = ${k}`);
        return true;
      }
      // Nothing to lock: a concurrent cas may insert first, and then this one lost.
      const inserted = await queryRows(
        tx,
        sql`insert into fedify_kv (key, value, expires_at)
            values (${k}, ${newJson}, ${expiresAt}::timestamptz)
            on conflict (key) do nothing returning key`,
      );
      return inserted.length > 0;
    });
    if (swapped) await this.#maybePurge();
    return swapped;
  }

  /**
   * Entries whose key starts with `prefix` element by element (the prefix itself included),
   * in key order, fetched page by page so a large scan holds no cursor open.
   */
  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    let filter = sql`true`;
    if (prefix !== undefined && prefix.length > 0) {
      const exact = encodeKey(prefix);
      // '["a","b"]' → keys equal to it or starting with '["a","b",'.
      const like = `${escapeLike(exact.slice(0, -1))},%`;
      filter = sql`(key = ${exact} or key like ${like})`;
    }
    let after: string | undefined;
    for (;;) {
      const page = await queryRows<{ key: string; value: string }>(
        this.#exec(),
        sql`select key, value from fedify_kv
            where ${filter} and ${this.#live()} ${after === undefined ? sql`` : sql`and key > ${after}`}
            order by key limit ${this.#batchSize}`,
      );
      for (const row of page) {
        yield { key: JSON.parse(row.key) as KvKey, value: JSON.parse(row.value) };
      }
      if (page.length < this.#batchSize) return;
      after = page[page.length - 1]!.key;
    }
  }

  /** Deletes expired rows in batches; returns how many. */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await queryRows(
        this.#exec(),
        sql`delete from fedify_kv where key in (
              select key from fedify_kv where expires_at <= ${this.#now()}::timestamptz
              limit ${this.#batchSize})
            returning 1 as x`,
      );
      total += rows.length;
      if (rows.length < this.#batchSize) return total;
    }
  }

  async #maybePurge(): Promise<void> {
    // Not inside a caller's transaction: it would hold row locks that are not its business.
    if (this.#scope?.current() !== undefined) return;
    const now = this.#clock.now().getTime();
    if (now - this.#lastPurge < this.#purgeIntervalMs) return;
    this.#lastPurge = now;
    try {
      await this.purgeExpired();
    } catch (error) {
      logger.warn("Purging expired KV entries failed: {error}", { error });
    }
  }

  #exec(): Db {
    return this.#scope?.current() ?? this.#db;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }

  #live() {
    return sql`(expires_at is null or expires_at > ${this.#now()}::timestamptz)`;
  }

  #expiresAt(options: KvStoreSetOptions | undefined): string | null {
    if (options?.ttl == null) return null;
    const ms = options.ttl.total({ unit: "millisecond" });
    return new Date(this.#clock.now().getTime() + ms).toISOString();
  }
}

function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}

/** JSON text of a value, or undefined for `undefined` (which means "no value"). */
function encodeValue(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
