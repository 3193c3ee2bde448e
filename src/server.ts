import type { Federation } from "@fedify/fedify";
import { serve as serveHttp } from "@hono/node-server";
import { getLogger } from "@logtape/logtape";
import { WebSocketServer } from "ws";
import { issueSetupToken, SETUP_TOKEN_TTL_SECONDS } from "./accounts/setup.ts";
import { createApp } from "./app.ts";
import { type Clock, systemClock } from "./config/clock.ts";
import type { Config, NodeType } from "./config/config.ts";
import { StartupError } from "./config/startup-error.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { migrate } from "./db/migrate.ts";
import type { Deps } from "./deps.ts";
import type { FederationData } from "./federation/federation.ts";
import { nodeInfoPeerReader } from "./federation/peer-info.ts";
import type { StreamHub } from "./mastodon/streaming/hub.ts";
import type { PeerReader } from "./peers/peers-admin.ts";
import { setupPath } from "./web/pages/setup.tsx";
import { startWorker } from "./worker.ts";

const logger = getLogger(["fediflattr", "server"]);

/** How long a shutdown waits for requests in flight before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The peers admin's NodeInfo reader for code outside a server (the CLI's `peers refresh`): the
 * composition root hands surfaces their adapters, so the CLI never imports federation code.
 */
export function peerReader(deps: Deps): PeerReader {
  return nodeInfoPeerReader(deps);
}

export interface RunningServer {
  deps: Deps;
  url: URL;
  /** For code that sends activities: `federationContext(server.federation, server.deps)`. */
  federation: Federation<FederationData>;
  /** The streaming API's connections in this process. */
  streaming: StreamHub;
  stop(): Promise<void>;
}

/** Starts web and/or worker roles; resolves once listening. Used by the CLI and by tests. */
export async function startServer(
  config: Config,
  options: { role?: NodeType; hostname?: string; deps?: Partial<Deps> } = {},
): Promise<RunningServer> {
  const role = options.role ?? config.nodeType;
  // A database given by the caller (the CLI's runner, tests) is already migrated and stays theirs.
  const ownDatabase = options.deps?.database
    ? undefined
    : await openDatabase(config, { command: "serve", origin: config.origin.href });
  const database = options.deps?.database ?? ownDatabase!;
  const clock = options.deps?.clock ?? systemClock;
  try {
    if (ownDatabase) await migrate(ownDatabase);
    if (role === "web" || role === "all") await announceSetup(database, clock, config);
  } catch (e) {
    await ownDatabase?.close();
    throw e;
  }
  const deps: Deps = { config, database, clock };
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
    // The streaming API's WebSockets (src/mastodon/routes/streaming.ts): its events are LISTENed
    // for before the first connection can arrive. Messages from apps are small.
    await app.streaming.start();
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    const hostname = options.hostname ?? config.host;
    let server: ReturnType<typeof serveHttp>;
    try {
      server = await listen(fetch, config.port, hostname, wss);
    } catch (e) {
      wss.close();
      for (const stop of stops.reverse()) await stop();
      await ownDatabase?.close();
      throw e;
    }
    const address = server.address();
    let bound = `${hostname}:${config.port}`;
    if (address && typeof address === "object") {
      const host = address.address.includes(":") ? `[${address.address}]` : address.address;
      bound = `${host}:${address.port}`;
      url = new URL(`http://${options.hostname ?? "localhost"}:${address.port}/`);
    }
    stops.push(async () => {
      // Open WebSockets would keep the server from closing.
      await app.streaming.stop();
      wss.close();
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
    // The address really bound (HOST may be a name; PORT may have been taken by the OS).
    logger.info(`Fediflattr (${role}) listening on http://${bound}/, public origin {origin}`, {
      origin: config.origin.href,
    });
  }
  return {
    deps,
    url,
    federation: app.federation,
    streaming: app.streaming,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
      await ownDatabase?.close();
    },
  };
}

/**
 * Starts listening, or fails with a StartupError naming the setting to change: a port in use or
 * not ours to take (PORT), an address this machine does not have (HOST).
 */
function listen(
  fetch: Parameters<typeof serveHttp>[0]["fetch"],
  port: number,
  hostname: string,
  wss: WebSocketServer,
): Promise<ReturnType<typeof serveHttp>> {
  return new Promise((resolve, reject) => {
    const s = serveHttp({ fetch, port, hostname, websocket: { server: wss } }, () => {
      s.off("error", fail);
      resolve(s);
    });
    function fail(e: NodeJS.ErrnoException) {
      const at = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
      if (e.code === "EADDRINUSE") {
        reject(
          new StartupError(
            "PORT",
            `Port ${port} is already in use on ${hostname} (EADDRINUSE): another program listens ` +
              "there. Stop it, or set PORT to a free port.",
          ),
        );
      } else if (e.code === "EACCES") {
        reject(
          new StartupError(
            "PORT",
            `Listening on ${at} is not allowed for this user (EACCES; ports below 1024 need ` +
              "privileges). Set PORT to 1024 or above.",
          ),
        );
      } else if (e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") {
        reject(
          new StartupError(
            "HOST",
            `Cannot listen on ${at}: this machine has no such address (${e.code}). Set HOST to ` +
              "one of its addresses, or 0.0.0.0 for all.",
          ),
        );
      } else reject(e);
    }
    s.once("error", fail);
  });
}

/**
 * While no administrator exists, each start of a web process logs a new one-time link to the setup
 * page (src/web/pages/setup.tsx), so a first run needs no CLI. Logged as a warning so that it shows
 * at the default LOG_LEVEL and at "warning".
 */
async function announceSetup(database: Database, clock: Clock, config: Config): Promise<void> {
  const token = await issueSetupToken(database.db, clock);
  if (!token) return;
  // The link goes into the text itself: as a property LogTape would print it in quotes.
  const url = new URL(setupPath(token), config.origin).href;
  const hours = SETUP_TOKEN_TTL_SECONDS / 3600;
  logger.warn(
    `This instance has no administrator yet. Open ${url} to create the first one. The link ` +
      `works once, for ${hours} hours; each start prints a new one until an administrator exists.`,
  );
}
