import type { Federation } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";
import { clientIp } from "../http/client-ip.ts";
import type { AppEnv } from "../http/env.ts";
import type { FederationData } from "./federation.ts";
import { rememberClientIp } from "./inbox-guard.ts";

/**
 * Hands ActivityPub/WebFinger/NodeInfo requests to Fedify; everything Fedify does not own (or
 * answers 406 for, i.e. a browser asking for HTML) falls through to our Hono routes.
 */
export function federationMiddleware(
  federation: Federation<FederationData>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let fellThrough = false;
    // The inbox guard rate-limits by client IP, which only this layer (with the socket) knows.
    if (c.req.method === "POST") rememberClientIp(c.req.raw, clientIp(c, c.var.deps.config));
    const response = await federation.fetch(c.req.raw, {
      contextData: c.var.deps,
      onNotFound: async () => {
        fellThrough = true;
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        fellThrough = true;
        await next();
        return c.res;
      },
    });
    if (!fellThrough) c.res = response;
    return fellThrough ? undefined : response;
  };
}
