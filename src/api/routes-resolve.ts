import { Hono } from "hono";
import type { Config } from "../config/config.ts";
import { unwrap } from "../errors.ts";
import { type Resolved, resolveThing } from "../flattr/resolve.ts";
import { thingUri } from "../flattr/url.ts";
import { apiUser } from "../http/bearer.ts";
import type { AppEnv } from "../http/env.ts";
import { apiThingUrl, profileUrl, thingUrl } from "../http/urls.ts";
import { readJson, stringField } from "./input.ts";

/*
 * POST /things/resolve {"uri": "…"}: a handle (`@alice@example.org`, `acct:alice@example.org`)
 * or the address of an actor or object, here or on any server, answered as its thing (created
 * on first use: 201, else 200). Refusals are the resolver's codes (ADR 0011): invalid_uri 422,
 * not_found 404, remote_gone 410, not_flattrable 422, domain_blocked 403, remote_unreachable 424.
 */

/** The thing a resolve answers, with its owner and where the money goes. */
export function resolvedJson(config: Config, r: Resolved) {
  const { thing, owner } = r;
  return {
    id: thing.id,
    kind: thing.kind,
    // The HTML page people open: a local profile's page, else the object's own page.
    url:
      thing.kind === "profile" && thing.ownerKind === "local"
        ? owner.profileUrl
        : thingUri(thing.url),
    uri: thing.objectUri ?? thingUri(thing.url),
    title: thing.title,
    description: thing.description,
    owner: {
      kind: owner.kind,
      actor: owner.actor,
      handle: owner.handle,
      name: owner.name,
      url:
        owner.kind === "local" ? profileUrl(config, owner.handle.split("@")[0]!) : owner.profileUrl,
      host: owner.host,
    },
    page: thingUrl(config, thing.id),
    deleted: r.deleted,
    created: r.created,
  };
}

export function resolveRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/things/resolve", async (c) => {
    await apiUser(c, "read");
    const { config } = c.var.deps;
    const uri = stringField(await readJson(c), "uri", true);
    const r = unwrap(await resolveThing(c.var.deps, c.var.remoteLookup, uri));
    c.header("Location", apiThingUrl(config, r.thing.id));
    return c.json(resolvedJson(config, r), r.created ? 201 : 200);
  });
  return app;
}
