import { getLogger } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import { type Db, queryRows } from "../db/client.ts";
import { listenChannel } from "../db/listen.ts";
import { blockChangesHere, isDomainBlocked } from "./blocks.ts";
import { hostname } from "./host.ts";

const logger = getLogger(["fediflattr", "peers", "blocks"]);

/** NOTIFYed at commit by every statement that changes blocked_domains (src/db/sql/peer-triggers.sql). */
export const BLOCKS_CHANNEL = "fediflattr_blocks";

/** A safety net for a notification lost while the LISTEN connection was reconnecting. */
const MAX_AGE_MS = 30_000;

/**
 * `isDomainBlocked` answered from this process's memory, for the inbox guard, which asks it for
 * every inbound activity (a database round trip there was a fifth of a `Like`'s statements). The
 * whole table is held (blocklists are thousands of rows at most) and read again after any change:
 * blocks are made by the CLI, another process, so the database announces each change itself
 * (a statement trigger NOTIFYs at commit), and the next question reloads; a block made by this
 * process (the admin page) reloads without waiting for its NOTIFY. Until this process
 * LISTENs, or when it cannot, every question goes to the database as before.
 */
export class BlockedHosts {
  readonly #db: Db;
  readonly #clock: Clock;
  #listening: Promise<boolean> | null = null;
  #unlisten: (() => Promise<void>) | undefined;
  /** Stored hosts without their ports; null until read, or after a change. */
  #names: Set<string> | null = null;
  #loadedAt = 0;
  #loading: Promise<Set<string>> | null = null;
  /** Bumped by every change notice: a read that started before one must not be kept. */
  #generation = 0;
  #changesHere = blockChangesHere();

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Whether `host` (or a parent domain of it) is blocked, exactly as `isDomainBlocked` says. */
  async isBlocked(host: string): Promise<boolean> {
    if (!(await this.#listen())) return isDomainBlocked(this.#db, host);
    const names = await this.#current();
    const name = hostname(host.toLowerCase());
    if (name.startsWith("[")) return names.has(name);
    const labels = name.split(".");
    return labels.some((_, i) => names.has(labels.slice(i).join(".")));
  }

  /** Stops listening (the process is shutting down). */
  async stop(): Promise<void> {
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    this.#listening = null;
    this.#names = null;
    await unlisten?.();
  }

  #listen(): Promise<boolean> {
    this.#listening ??= listenChannel(this.#db, BLOCKS_CHANNEL, () => this.#changed()).then(
      (unlisten) => {
        this.#unlisten = unlisten;
        if (!unlisten) logger.warning("Blocked servers are read from the database each time");
        return unlisten !== undefined;
      },
    );
    return this.#listening;
  }

  #changed(): void {
    this.#generation++;
    this.#names = null;
    this.#loading = null;
  }

  async #current(): Promise<Set<string>> {
    if (this.#changesHere !== blockChangesHere()) {
      this.#changesHere = blockChangesHere();
      this.#changed();
    }
    const now = this.#clock.now().getTime();
    if (this.#names !== null && now - this.#loadedAt < MAX_AGE_MS) return this.#names;
    if (this.#loading) return this.#loading;
    const generation = this.#generation;
    const loading = queryRows<{ host: string }>(this.#db, sql`select host from blocked_domains`)
      .then((rows) => {
        const names = new Set(rows.map((r) => hostname(r.host)));
        // A change announced while this read ran may not be in it: answer with it once, keep it not.
        if (generation === this.#generation) {
          this.#names = names;
          this.#loadedAt = now;
        }
        return names;
      })
      .finally(() => {
        if (this.#loading === loading) this.#loading = null;
      });
    this.#loading = loading;
    return loading;
  }
}
