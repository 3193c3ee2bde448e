import type { Federation } from "@fedify/fedify";
import { serve as serveHttp } from "@hono/node-server";
import { getLogger } from "@logtape/logtape";
import { countUsers } from "./accounts/users.ts";
import { createApp } from "./app.ts";
import { systemClock } from "./config/clock.ts";
import type { Config, NodeType } from "./config/config.ts";
import { openDatabase } from "./db/client.ts";
import { migrate } from "./db/migrate.ts";
import type { Deps } from "./deps.ts";
import type { FederationData } from "./federation/federation.ts";
import { startWorker } from "./worker.ts";

const logger = getLogger(["fediflattr", "server"]);

/** How long a shutdown waits for requests in flight before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  deps: Deps;
  url: URL;
  /** For code that sends activities: `federationContext(server.federation, server.deps)`. */
  federation: Federation<FederationData>;
  stop(): Promise<void>;
}

/** Starts web and/or worker roles; resolves once listening. Used by the CLI and by tests. */
export async function startServer(
  config: Config,
  options: { role?: NodeType; hostname?: string; deps?: Partial<Deps> } = {},
): Promise<RunningServer> {
  const role = options.role ?? config.nodeType;
  const database = options.deps?.database ?? (await openDatabase(config));
  await migrate(database);
  if ((await countUsers(database.db)) === 0) {
    // The embedded database admits one process: the CLI can only run while the server is stopped.
    const when =
      database.kind === "pglite"
        ? " (stop the server first: the embedded database allows one process)"
        : "";
    logger.warn(
      "This instance has no users yet. Create the first administrator{when} with: " +
        "npx fediflattr user create admin --email you@example.com --admin",
      { when },
    );
  }
  const deps: Deps = { config, database, clock: options.deps?.clock ?? systemClock };
  const app = createApp(deps);
  const stops: (() => Promise<void>)[] = [];

  if (role === "worker" || role === "all") {
    const worker = startWorker(deps, app.federation);
    stops.push(worker.stop);
  }
  let url = new URL(config.origin.href);
  if (role === "web" || role === "all") {
    // In-flight requests, so a shutdown lets them finish before the database closes under them.
    let inFlight = 0;
    let drained: (() => void) | null = null;
    const fetch: typeof app.fetch = async (...args) => {
      inFlight++;
      try {
        return await app.fetch(...args);
      } finally {
        if (--inFlight === 0) drained?.();
      }
    };
    const server = await new Promise<ReturnType<typeof serveHttp>>((resolve) => {
      const s = serveHttp(
        { fetch, port: config.port, hostname: options.hostname ?? "0.0.0.0" },
        () => resolve(s),
      );
    });
    const address = server.address();
    if (address && typeof address === "object") {
      url = new URL(`http://${options.hostname ?? "localhost"}:${address.port}/`);
    }
    stops.push(async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      if (inFlight > 0) {
        const waited = new Promise<void>((resolve) => {
          drained = resolve;
        });
        await Promise.race([waited, new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))]);
      }
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
    });
    logger.info("Fediflattr ({role}) listening on {url}, public origin {origin}", {
      role,
      url: url.href,
      origin: config.origin.href,
    });
  }
  return {
    deps,
    url,
    federation: app.federation,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
      if (!options.deps?.database) await database.close();
    },
  };
}
