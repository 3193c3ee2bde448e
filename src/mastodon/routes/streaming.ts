import { upgradeWebSocket } from "@hono/node-server";
import { Hono, type MiddlewareHandler } from "hono";
import { scopeAllows } from "../../accounts/oauth/scopes.ts";
import { type TokenHolder, verifyAccessToken } from "../../accounts/tokens.ts";
import type { AppEnv } from "../../http/env.ts";
import { bearerOf } from "../auth.ts";
import { invalidToken, MastodonError } from "../errors.ts";
import type { StreamConnection, StreamHub } from "../streaming/hub.ts";

/*
 * The streaming API as Mastodon's WebSocket serves it (docs.joinmastodon.org/methods/streaming):
 * `GET /api/v1/streaming` upgraded to a WebSocket, the token as `access_token` or as the
 * Sec-WebSocket-Protocol (masto.js sends it there; the server answers with it, as Mastodon's
 * does), a first stream as `?stream=`, more with `{"type": "subscribe", "stream": …}` messages.
 * `user` (home timeline updates and notifications), `user:notification`, `public`,
 * `public:local` and `public:remote` carry events; the other streams Mastodon knows (hashtags,
 * lists, direct, media-only) are accepted and stay quiet, so that apps never see an error for
 * them. Public streams need no token.
 */

const EVENT_STREAMS = new Set([
  "user",
  "user:notification",
  "public",
  "public:local",
  "public:remote",
]);
const QUIET_STREAMS = new Set([
  "direct",
  "hashtag",
  "hashtag:local",
  "list",
  "public:media",
  "public:local:media",
  "public:remote:media",
]);
const USER_STREAMS = new Set(["user", "user:notification", "direct", "list"]);
const MAX_STREAMS = 50;

interface Caller {
  holder: TokenHolder | null;
}

const callers = new WeakMap<Request, Caller>();

/** The token of a streaming request: `Authorization`, `access_token`, or the subprotocol. */
function streamToken(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | undefined {
  const protocol = c.req.header("sec-websocket-protocol")?.split(",")[0]?.trim();
  return bearerOf(c) ?? (protocol || undefined);
}

/** Why `stream` cannot be subscribed to by this caller, or null when it can. */
function refusal(
  holder: TokenHolder | null,
  stream: string,
): { status: number; error: string } | null {
  if (!EVENT_STREAMS.has(stream) && !QUIET_STREAMS.has(stream))
    return { status: 400, error: "Unknown stream type" };
  if (!USER_STREAMS.has(stream)) return null;
  if (!holder?.user) return { status: 401, error: "Missing access token" };
  const scopes = holder.scopes;
  if (!scopes.some((s) => s === "read" || s.startsWith("read:")))
    return { status: 403, error: "This action is outside the authorized scopes" };
  return null;
}

export function streamingRoutes(hub: StreamHub): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Mastodon's answer, a plain "OK": load balancers and apps compare it as text.
  app.get("/api/v1/streaming/health", (c) => c.text("OK"));

  const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new MastodonError(
        400,
        "The streaming API is a WebSocket: open this address with a WebSocket client.",
      );
    const token = streamToken(c);
    const { database, clock } = c.var.deps;
    const holder = token ? await verifyAccessToken(database.db, clock, token) : null;
    if (token && !holder) throw invalidToken();
    const first = c.req.query("stream");
    if (first) {
      const refused = refusal(holder, first);
      if (refused) throw new MastodonError(refused.status as 400 | 401 | 403, refused.error);
    }
    callers.set(c.req.raw, { holder });
    await next();
  };

  app.get(
    "/api/v1/streaming",
    authenticate,
    upgradeWebSocket((c) => {
      const holder = callers.get(c.req.raw)?.holder ?? null;
      const scopes = holder?.scopes ?? [];
      const first = c.req.query("stream");
      let conn: StreamConnection | null = null;
      const reply = (error: string, status: number) => {
        conn?.ws.send(JSON.stringify({ error, status }));
      };
      return {
        onOpen: (_event, ws) => {
          conn = {
            ws,
            c,
            userId: holder?.user?.id ?? null,
            canReadStatuses: scopeAllows(scopes, "read:statuses"),
            canReadNotifications: scopeAllows(scopes, "read:notifications"),
            streams: new Set(first ? [first] : []),
          };
          hub.add(conn);
        },
        onMessage: (event) => {
          if (!conn) return;
          let message: unknown;
          try {
            message = JSON.parse(String(event.data));
          } catch {
            return reply("Could not parse the message as JSON", 400);
          }
          const { type, stream } = (message ?? {}) as Record<string, unknown>;
          if (typeof stream !== "string" || (type !== "subscribe" && type !== "unsubscribe"))
            return reply("Unknown message: expected subscribe or unsubscribe with a stream", 400);
          if (type === "unsubscribe") {
            conn.streams.delete(stream);
            return;
          }
          const refused = refusal(holder, stream);
          if (refused) return reply(refused.error, refused.status);
          if (conn.streams.size >= MAX_STREAMS && !conn.streams.has(stream))
            return reply(`At most ${MAX_STREAMS} streams per connection`, 400);
          conn.streams.add(stream);
        },
        onClose: () => {
          if (conn) hub.remove(conn);
        },
        onError: () => {
          if (conn) hub.remove(conn);
        },
      };
    }),
  );
  return app;
}
