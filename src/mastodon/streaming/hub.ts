import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import type { WSContext } from "hono/ws";
import type { Deps } from "../../deps.ts";
import type { AppEnv } from "../../http/env.ts";
import { getNotification } from "../../social/notifications.ts";
import {
  listenStreamEvents,
  type StatusAudience,
  type StreamEvent,
  statusAudience,
} from "../../social/stream-events.ts";
import { statusById } from "../../social/timelines.ts";
import { presentStatus } from "../present.ts";
import { presentNotifications } from "../present-notifications.ts";

const logger = getLogger(["fediflattr", "mastodon", "streaming"]);

/*
 * The streaming API's connections in this process, and the events they receive. Events come from
 * the database (src/social/stream-events.ts); each is read once, then rendered for each
 * connection that should see it (a Status shows the viewer's own star), and sent as Mastodon's
 * streaming server sends it: `{"stream": [name], "event": …, "payload": <JSON as a string>}`.
 * Events are handled one after another, so an app sees them in the order they were committed.
 */

export interface StreamConnection {
  ws: WSContext;
  /** The upgrade request's context, for rendering (its deps). */
  c: Context<AppEnv>;
  userId: number | null;
  /** May receive the user's statuses and notifications (read scopes checked at the upgrade). */
  canReadStatuses: boolean;
  canReadNotifications: boolean;
  streams: Set<string>;
}

export class StreamHub {
  readonly #connections = new Set<StreamConnection>();
  #unlisten: (() => Promise<void>) | undefined;
  #started = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: Deps) {}

  /** LISTENs for the database's events; called once by the web process before it serves. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#unlisten = await listenStreamEvents(this.deps.database.db, (event) => {
      if (this.#connections.size === 0) return;
      this.#queue = this.#queue.then(() =>
        this.#handle(event).catch((error) =>
          logger.error("Streaming event {event} failed: {error}", { event, error }),
        ),
      );
    });
  }

  /** Closes every connection (going away) and stops listening. */
  async stop(): Promise<void> {
    for (const conn of this.#connections) conn.ws.close(1001, "Server shutting down");
    this.#connections.clear();
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    this.#started = false;
    await unlisten?.();
    await this.#queue;
  }

  get size(): number {
    return this.#connections.size;
  }

  /** The streams a user's connections are subscribed to (what an operator or a test asks). */
  streamsOf(userId: number | null): string[] {
    return [...this.#connections].filter((c) => c.userId === userId).flatMap((c) => [...c.streams]);
  }

  add(conn: StreamConnection): void {
    this.#connections.add(conn);
  }

  remove(conn: StreamConnection): void {
    this.#connections.delete(conn);
  }

  async #handle(event: StreamEvent): Promise<void> {
    if (event.kind === "delete") {
      for (const conn of this.#connections)
        for (const stream of conn.streams) send(conn, stream, "delete", String(event.id));
      return;
    }
    if (event.kind === "notification") {
      for (const conn of this.#connections) {
        if (conn.userId !== event.userId || !conn.canReadNotifications) continue;
        const streams = [...conn.streams].filter((s) => s === "user" || s === "user:notification");
        if (streams.length === 0) continue;
        const n = await getNotification(conn.c.var.deps.database.db, event.userId, event.id);
        const [json] = n ? await presentNotifications(conn.c, [n], event.userId) : [];
        if (json) for (const s of streams) send(conn, s, "notification", JSON.stringify(json));
      }
      return;
    }
    const audience = await statusAudience(this.deps.database.db, event.id);
    if (!audience) return;
    for (const conn of this.#connections) {
      const streams = [...conn.streams].filter((s) => receives(conn, s, audience));
      if (streams.length === 0) continue;
      const { config, database } = conn.c.var.deps;
      const entry = await statusById(database.db, config, event.id, conn.userId);
      if (!entry) continue;
      const payload = JSON.stringify(await presentStatus(conn.c, entry, conn.userId));
      for (const s of streams) send(conn, s, "update", payload);
    }
  }
}

/** Whether `stream` of this connection shows a new status with this audience. */
function receives(conn: StreamConnection, stream: string, audience: StatusAudience): boolean {
  switch (stream) {
    case "user":
      return conn.canReadStatuses && conn.userId !== null && audience.home.has(conn.userId);
    case "public":
      return audience.visibility === "public";
    case "public:local":
      return audience.visibility === "public" && audience.local;
    case "public:remote":
      return audience.visibility === "public" && !audience.local;
    default:
      return false;
  }
}

function send(conn: StreamConnection, stream: string, event: string, payload: string): void {
  if (conn.ws.readyState !== 1) return;
  conn.ws.send(JSON.stringify({ stream: [stream], event, payload }));
}
