import type { Federation } from "@fedify/fedify";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { API_BASE, apiRouter } from "./api/router.ts";
import type { Deps } from "./deps.ts";
import { buildFederation, type FederationData } from "./federation/federation.ts";
import { federationMiddleware } from "./federation/middleware.ts";
import { BEARER_RESOLVERS, bearerResolvers } from "./web/bearer.ts";
import { widgetFraming } from "./web/button/framing.ts";
import type { AppEnv } from "./web/env.ts";
import { onError, onNotFound } from "./web/errors.ts";
import { requestLog } from "./web/request-log.ts";
import { webRoutes } from "./web/routes.tsx";
import { sessionMiddleware } from "./web/session.ts";

export interface App {
  hono: Hono<AppEnv>;
  federation: Federation<FederationData>;
  /** `env` is what @hono/node-server passes (the socket, for the client IP); tests omit it. */
  fetch: (request: Request, env?: object) => Promise<Response>;
}

/** The composition root: the only place that wires the pieces together. */
export function createApp(deps: Deps): App {
  const federation = buildFederation(deps);
  const hono = new Hono<AppEnv>();
  hono.onError(onError);
  hono.notFound(onNotFound);
  hono.use(requestLog());
  hono.use(async (c, next) => {
    c.set("deps", deps);
    c.set("user", null);
    await next();
  });
  hono.use("/button/*", widgetFraming()); // the only frameable route; outside the headers below
  // Sets c.var.user (session cookie; bearer tokens plug in here) and c.var.csrfToken.
  hono.use(sessionMiddleware({ bearer: bearerResolvers(BEARER_RESOLVERS) }));
  // Pages refuse to be framed (clickjacking); the counter widget overrides this on its route.
  hono.use(
    secureHeaders({
      xFrameOptions: "DENY",
      contentSecurityPolicy: { frameAncestors: ["'none'"] },
      crossOriginResourcePolicy: false,
      crossOriginOpenerPolicy: false,
      referrerPolicy: "same-origin", // no-referrer makes browsers send `Origin: null` on our own forms
    }),
  );
  // Fedify owns no route under the REST API's base (its routes: src/federation/*.ts), so API
  // requests skip its routing: every flattr request went through it only to fall through.
  const fedify = federationMiddleware(federation);
  hono.use((c, next) =>
    c.req.path === API_BASE || c.req.path.startsWith(`${API_BASE}/`) ? next() : fedify(c, next),
  );
  hono.route(API_BASE, apiRouter());
  hono.route("/", webRoutes(deps));
  return { hono, federation, fetch: async (request, env) => hono.fetch(request, env) };
}
