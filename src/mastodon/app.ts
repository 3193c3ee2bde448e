import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { RemoteLookup } from "../flattr/remote-lookup.ts";
import { limitBodies } from "../http/body-limit.ts";
import { privateNoStoreByDefault } from "../http/cache-control.ts";
import { type OpenCorsOptions, openCors } from "../http/cors.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonWayOutHeaders } from "../http/json-way-out.ts";
import { noFederation, type SocialFederation } from "../social/ports.ts";
import { MastodonError, mastodonNotFound, mastodonOnError } from "./errors.ts";
import { accountRoutes } from "./routes/accounts.ts";
import { appRoutes } from "./routes/apps.ts";
import { favouriteRoutes } from "./routes/favourites.ts";
import { instanceRoutes } from "./routes/instance.ts";
import { markerRoutes } from "./routes/markers.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { groupedNotificationRoutes } from "./routes/notifications-v2.ts";
import { oauthRoutes } from "./routes/oauth.ts";
import { probeRoutes } from "./routes/probes.ts";
import { searchRoutes } from "./routes/search.ts";
import { statusRoutes } from "./routes/statuses.ts";
import { streamingRoutes } from "./routes/streaming.ts";
import { timelineRoutes } from "./routes/timelines.ts";
import { StreamHub } from "./streaming/hub.ts";

/*
 * The Mastodon client API (docs/CONVENTIONS.md, "Adding a Mastodon endpoint"): /api/v1, /api/v2,
 * the OAuth token and revocation endpoints and the OAuth server metadata. It is its own Hono app,
 * called by src/app.ts for these paths, because it routes with and without a trailing slash
 * (`strict: false`), which the pages must not. Every answer is JSON, unknown routes included.
 */

export const MAX_BODY_BYTES = 256 * 1024;

/** Whether src/app.ts hands `path` to the Mastodon API. `/oauth/authorize` is a page. */
export function isMastodonPath(path: string): boolean {
  return (
    /^\/api\/v[12](\/|$)/.test(path) ||
    /^\/oauth\/(token|revoke)\/?$/.test(path) ||
    /^\/\.well-known\/oauth-authorization-server\/?$/.test(path)
  );
}

/** The streaming API's connections: made by the composition root, which starts and stops it. */
export function streamHub(deps: Deps): StreamHub {
  return new StreamHub(deps);
}

/** The ports to other servers, from the composition root (a test may leave them out). */
export interface MastodonPorts {
  social?: SocialFederation;
  remoteLookup?: RemoteLookup;
  /**
   * The headers the app around this one adds to every answer (the security headers), so that a
   * route may answer whole (src/http/whole-answer.ts); without them, no answer is whole.
   */
  outerHeaders?: Readonly<Record<string, string>>;
}

// Browser apps (Elk, Phanpy) call from their own origin with a token, never with cookies.
const CORS: OpenCorsOptions = {
  allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
  allowHeaders: ["Authorization", "Content-Type", "Accept", "Idempotency-Key"],
  exposeHeaders: ["Link", "Retry-After", "WWW-Authenticate", "X-RateLimit-Remaining"],
  maxAgeSeconds: 86400,
};

export function mastodonApp(
  deps: Deps,
  ports: MastodonPorts = {},
  streaming: StreamHub = streamHub(deps),
): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false });
  app.onError(mastodonOnError);
  app.notFound(mastodonNotFound);
  // Without the outer app's headers no answer can be whole: it would miss them.
  const wholeJsonHeaders = ports.outerHeaders && jsonWayOutHeaders(CORS, ports.outerHeaders);
  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("social", ports.social ?? noFederation);
    if (ports.remoteLookup) c.set("remoteLookup", ports.remoteLookup);
    c.set("user", null);
    c.set("wholeJsonHeaders", wholeJsonHeaders);
    await next();
  });
  app.use(openCors(CORS));
  app.use(privateNoStoreByDefault());
  app.use(
    limitBodies(MAX_BODY_BYTES, () => {
      throw new MastodonError(413, `The body is larger than ${MAX_BODY_BYTES} bytes.`);
    }),
  );
  app.route("/", oauthRoutes());
  app.route("/", appRoutes());
  app.route("/", instanceRoutes());
  app.route("/", accountRoutes());
  // Before the v1 routes: /api/v1/notifications/policy and /requests are not notification ids.
  app.route("/", groupedNotificationRoutes());
  app.route("/", notificationRoutes());
  app.route("/", markerRoutes());
  app.route("/", statusRoutes());
  app.route("/", favouriteRoutes());
  app.route("/", timelineRoutes());
  app.route("/", searchRoutes());
  app.route("/", probeRoutes());
  app.route("/", streamingRoutes(streaming));
  return app;
}
