import * as v from "valibot";
import { tokenCredential } from "../accounts/tokens.ts";
import { PayerTokenError } from "../flattr/errors.ts";
import { flattr, unflattr } from "../flattr/flattr.ts";
import { getThing, registerThing } from "../flattr/things.ts";
import { apiUser, insufficientScopeError, invalidTokenError } from "../http/bearer.ts";
import { endpoint, pathParams, selfCheckingEndpoint } from "../http/endpoint.ts";
import { apiThingUrl } from "../http/urls.ts";
import { wholeJson } from "../http/whole-answer.ts";
import { BODY_ERRORS } from "./responses.ts";
import {
  Flattr,
  RegisteredThing,
  Thing,
  ThingInput,
  ThingPath,
  WithdrawnFlattr,
} from "./schemas.ts";
import { flattrJson, thingJson } from "./serialize.ts";

/*
 * Registering a URL the caller already registered answers 200 with the existing thing (title
 * and description unchanged) instead of 409: the call is idempotent, so a client may retry it
 * safely, and the Location header points at the thing either way.
 */
const postThing = endpoint(
  {
    method: "post",
    path: "/things",
    operationId: "registerThing",
    summary: "Register a web page as your thing",
    description:
      "201 with Location for a new thing. Registering a URL you registered before is " +
      "idempotent: 200 with the existing thing (title and description unchanged), " +
      "`created: false`, and the same Location.",
    tags: ["things"],
    auth: "write",
    body: ThingInput,
    responses: {
      201: { description: "Registered.", json: RegisteredThing, headers: { Location: "Location" } },
      200: {
        description: "Already registered by you.",
        json: RegisteredThing,
        headers: { Location: "Location" },
      },
      ...BODY_ERRORS,
    },
  },
  async (c, { user, body }) => {
    const { config, database, clock } = c.var.deps;
    const input = { url: body.url, title: body.title, description: body.description ?? undefined };
    const { thing, created } = await registerThing(database.db, clock, config, user.id, input);
    const view = await getThing(database.db, clock, config, thing.id);
    c.header("Location", apiThingUrl(config, thing.id));
    return c.json({ ...thingJson(config, view), created }, created ? 201 : 200);
  },
);

const getThingById = endpoint(
  {
    method: "get",
    path: "/things/{id}",
    operationId: "getThing",
    summary: "A thing with its owner and flattr counts",
    tags: ["things"],
    auth: "read",
    params: ThingPath,
    responses: { 200: { description: "The thing.", json: Thing }, 404: "NotFound" },
  },
  async (c, { params }) => {
    const { config, database, clock } = c.var.deps;
    return c.json(thingJson(config, await getThing(database.db, clock, config, params.id)));
  },
);

/*
 * The busiest route: with a personal access token and a well-formed id, the token is checked
 * by the same database statement that flattrs (src/flattr/flattr.ts), one round trip in all
 * (ADR 0005). Anything else takes the ordinary way; both answer the same statuses in the same
 * order (token, then id), which is why this endpoint checks its own input.
 */
const postFlattr = selfCheckingEndpoint(
  {
    method: "post",
    path: "/things/{id}/flattr",
    operationId: "flattrThing",
    summary: "Flattr a thing in the current period",
    description:
      "Refusals are 422 with the reason's code (own_thing, no_budget, already_flattred, " +
      "period_closed, period_limit), 429 rate_limited with Retry-After.",
    tags: ["things"],
    auth: "write:favourites",
    params: ThingPath,
    responses: {
      201: { description: "Flattred.", json: Flattr },
      404: "NotFound",
      422: "Unprocessable",
      429: "TooManyRequests",
    },
  },
  async (c) => {
    // c.get, not c.var: Hono builds a fresh object of every variable for each c.var read.
    const { config, database, clock } = c.get("deps");
    const token = c.get("bearerToken");
    const credential = token ? tokenCredential(token, clock.now()) : null;
    const id = credential ? v.safeParse(ThingPath.entries.id, c.req.param("id")) : null;
    if (credential && id?.success) {
      try {
        return wholeJson(
          c,
          flattrJson(await flattr(database.db, clock, config, credential, id.output)),
          201,
        );
      } catch (e) {
        if (!(e instanceof PayerTokenError)) throw e;
        // An app-only token acts for nobody: refused as apiUser refuses it on every route.
        throw e.reason === "insufficient_scope"
          ? insufficientScopeError("write:favourites")
          : invalidTokenError();
      }
    }
    const user = await apiUser(c, "write:favourites");
    const thingId = pathParams(c, ThingPath).id;
    return wholeJson(
      c,
      flattrJson(
        await flattr(database.db, clock, config, user.id, thingId, { appId: user.appId ?? null }),
      ),
      201,
    );
  },
);

const deleteFlattr = endpoint(
  {
    method: "delete",
    path: "/things/{id}/flattr",
    operationId: "unflattrThing",
    summary: "Withdraw your flattr of a thing while the period is open",
    tags: ["things"],
    auth: "write:favourites",
    params: ThingPath,
    responses: {
      200: { description: "Withdrawn.", json: WithdrawnFlattr },
      404: "NotFound",
      422: "Unprocessable",
    },
  },
  async (c, { user, params }) => {
    const { config, database, clock } = c.var.deps;
    const f = await unflattr(database.db, clock, config, user.id, params.id);
    return c.json({ ...flattrJson(f), withdrawn: true as const });
  },
);

export const thingEndpoints = [postThing, getThingById, postFlattr, deleteFlattr];
