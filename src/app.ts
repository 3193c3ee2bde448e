import type { Federation } from "@fedify/fedify";
import { Hono } from "hono";
import { apiRouter } from "./api/router.ts";
import type { Deps } from "./deps.ts";
import { buildFederation, type FederationData } from "./federation/federation.ts";
import { fedifyLookup } from "./federation/lookup.ts";
import { federationMiddleware } from "./federation/middleware.ts";
import { httpPageFetcher } from "./federation/page-fetcher.ts";
import { nodeInfoPeerReader } from "./federation/peer-info.ts";
import { federationSocial } from "./federation/social.ts";
import type { RemoteLookup } from "./flattr/remote-lookup.ts";
import type { PageFetcher } from "./flattr/verification.ts";
import { BEARER_RESOLVERS, bearerResolvers } from "./http/bearer.ts";
import type { AppEnv } from "./http/env.ts";
import { onError, onNotFound } from "./http/errors.ts";
import { requestLog } from "./http/request-log.ts";
import { SECURITY_HEADERS, securityHeaders } from "./http/security-headers.ts";
import { API_BASE } from "./http/urls.ts";
import { isMastodonPath, mastodonApp, streamHub } from "./mastodon/app.ts";
import type { StreamHub } from "./mastodon/streaming/hub.ts";
import type { PeerReader } from "./peers/peers-admin.ts";
import { widgetFraming } from "./web/button/framing.ts";
import { webRoutes } from "./web/routes.tsx";

export interface App {
  hono: Hono<AppEnv>;
  federation: Federation<FederationData>;
  /** The streaming API's connections: a web process starts it before serving, stops it first. */
  streaming: StreamHub;
  /** `env` is what @hono/node-server passes (the socket, for the client IP); tests omit it. */
  fetch: (request: Request, env?: object) => Promise<Response>;
}

/** The composition root: the only place that wires the pieces together. */
export function createApp(
  deps: Deps,
  options: { remoteLookup?: RemoteLookup; peerReader?: PeerReader; pageFetcher?: PageFetcher } = {},
): App {
  const federation = buildFederation(deps);
  // The domain's ports to other servers, on Fedify and our NodeInfo client (tests may pass fakes).
  const remoteLookup = options.remoteLookup ?? fedifyLookup(federation, deps);
  const peerReader = options.peerReader ?? nodeInfoPeerReader(deps);
  const pageFetcher = options.pageFetcher ?? httpPageFetcher(deps.config);
  const social = federationSocial(federation, deps);
  const hono = new Hono<AppEnv>();
  hono.onError(onError);
  hono.notFound(onNotFound);
  hono.use(requestLog());
  hono.use(async (c, next) => {
    c.set("deps", deps);
    c.set("remoteLookup", remoteLookup);
    c.set("peerReader", peerReader);
    c.set("pageFetcher", pageFetcher);
    c.set("social", social);
    c.set("user", null);
    await next();
  });
  hono.use("/button/*", widgetFraming()); // the only frameable route; outside the headers below
  // Pages refuse to be framed (clickjacking); the counter widget overrides this on its route.
  hono.use(securityHeaders());
  // The Mastodon client API is its own app (it routes with and without a trailing slash); the
  // OAuth consent page is one of the pages (src/web/pages/oauth-authorize.tsx).
  const streaming = streamHub(deps);
  const mastodon = mastodonApp(
    deps,
    { social, remoteLookup, outerHeaders: SECURITY_HEADERS },
    streaming,
  );
  hono.use(async (c, next) => {
    if (!isMastodonPath(c.req.path)) return next();
    c.res = await mastodon.fetch(c.req.raw, c.env);
  });
  // Fedify owns no route under the REST API's base (its routes: src/federation/*.ts), so API
  // requests skip its routing: every flattr request went through it only to fall through.
  const fedify = federationMiddleware(federation);
  hono.use((c, next) =>
    c.req.path === API_BASE || c.req.path.startsWith(`${API_BASE}/`) ? next() : fedify(c, next),
  );
  // Each surface brings its own authentication: the API bearer tokens (resolved lazily, only
  // when a route asks), the pages the session cookie and CSRF token (src/web/routes.tsx).
  hono.route(
    API_BASE,
    apiRouter({ bearer: bearerResolvers(BEARER_RESOLVERS), outerHeaders: SECURITY_HEADERS }),
  );
  hono.route("/", webRoutes(deps));
  return { hono, federation, streaming, fetch: async (request, env) => hono.fetch(request, env) };
}
