import type { Config } from "../config/config.ts";
import { unwrap } from "../errors.ts";
import { type Resolved, resolveThing } from "../flattr/resolve.ts";
import { thingUri } from "../flattr/url.ts";
import { endpoint } from "../http/endpoint.ts";
import { apiThingUrl, profileUrl, thingUrl } from "../http/urls.ts";
import { BODY_ERRORS } from "./responses.ts";
import { ErrorBody, ResolvedThing, ResolveInput } from "./schemas.ts";

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

const resolve = endpoint(
  {
    method: "post",
    path: "/things/resolve",
    operationId: "resolveThing",
    summary: "Find the thing for a handle or the address of an actor or object",
    description:
      "Local handles and addresses are answered from this instance's database; remote ones " +
      "are looked up (WebFinger, then the document, fetched signed by the instance actor) " +
      "and cached, and fetched again once a day old. The thing is created on first use " +
      "(201, else 200). A 403 is domain_blocked (the server is blocked here) or " +
      "insufficient_scope. Another server's failure is never a 5xx: 424 remote_unreachable.",
    tags: ["things"],
    auth: "read",
    body: ResolveInput,
    responses: {
      200: {
        description: "Found; the thing existed.",
        json: ResolvedThing,
        headers: { Location: "Location" },
      },
      201: {
        description: "Found; the thing was created now.",
        json: ResolvedThing,
        headers: { Location: "Location" },
      },
      404: { description: "No such account or object (not_found).", json: ErrorBody },
      410: {
        description: "Deleted on its server before this instance knew it (remote_gone).",
        json: ErrorBody,
      },
      424: {
        description:
          "Its server could not be reached or answered an error (remote_unreachable): try again later.",
        json: ErrorBody,
      },
      ...BODY_ERRORS,
    },
  },
  async (c, { body }) => {
    const { config } = c.var.deps;
    const r = unwrap(await resolveThing(c.var.deps, c.var.remoteLookup, body.uri));
    c.header("Location", apiThingUrl(config, r.thing.id));
    return c.json(resolvedJson(config, r), r.created ? 201 : 200);
  },
);

export const resolveEndpoints = [resolve];
