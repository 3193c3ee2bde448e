import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client.ts";

/**
 * Rows left in the federation queue (one channel, or all). A row is deleted only after its
 * handler has finished, so 0 means every message enqueued so far has been handled, deliveries
 * included: the event a test waits for before asserting that something did *not* happen.
 */
export async function queueRows(db: Db, channel?: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    db,
    channel === undefined
      ? sql`select count(*)::text as n from fedify_queue`
      : sql`select count(*)::text as n from fedify_queue where channel = ${channel}`,
  );
  return Number(row!.n);
}

/**
 * `db` with hooks around its raw statements (`execute`, which the queue's claims go through):
 * lets a test see that a listener has finished a claim (and is idle), or act while one runs.
 * Everything else is the real database, unchanged.
 */
export function tapStatements(db: Db, hooks: { before?(): void; after?(): void }): Db {
  return new Proxy(db, {
    get(target, property) {
      if (property === "execute") {
        return async (query: Parameters<Db["execute"]>[0]) => {
          hooks.before?.();
          const result = await target.execute(query);
          hooks.after?.();
          return result;
        };
      }
      // drizzle keeps no #private state, so its methods work with the proxy as `this`.
      return Reflect.get(target, property);
    },
  });
}
