import { getLogger } from "@logtape/logtape";
import type { Db } from "./client.ts";

const logger = getLogger(["fediflattr", "db", "listen"]);

const TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * LISTEN on a PostgreSQL NOTIFY channel (the relay's wake-ups, the streaming API's events) through the driver's client (postgres.js and PGlite both
 * have `listen`); resolves to an unlisten function, or undefined when listening is not possible
 * (the caller then only polls). Bounded both ways: a LISTEN or UNLISTEN that never answers must
 * not keep a poller from polling or a shutdown from finishing.
 */
export async function listenChannel(
  db: Db,
  channel: string,
  onNotify: (payload: string) => void,
): Promise<(() => Promise<void>) | undefined> {
  const client = (db as unknown as { $client?: unknown }).$client as
    | { listen?: (channel: string, cb: (payload: string) => void) => Promise<unknown> }
    | undefined;
  if (typeof client?.listen !== "function") return undefined;
  try {
    const handle = await withTimeout(
      client.listen(channel, (payload) => onNotify(payload)),
      TIMEOUT_MS,
    );
    return async () => {
      try {
        const unlisten =
          typeof handle === "function"
            ? handle() // PGlite
            : (handle as { unlisten(): Promise<void> }).unlisten(); // postgres.js
        await withTimeout(Promise.resolve(unlisten), TIMEOUT_MS);
      } catch (error) {
        logger.warn("UNLISTEN {channel} failed: {error}", { channel, error });
      }
    };
  } catch (error) {
    logger.warn("LISTEN {channel} failed, polling only: {error}", { channel, error });
    return undefined;
  }
}
