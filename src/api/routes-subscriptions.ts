import { unwrap } from "../errors.ts";
import {
  activeSubscription,
  cancelSubscription,
  type Subscription,
  SubscriptionError,
  subscribe,
} from "../flattr/subscriptions.ts";
import { endpoint } from "../http/endpoint.ts";
import { BODY_ERRORS } from "./responses.ts";
import { type Out, ThingPath } from "./schemas.ts";
import { SubscriptionInput, SubscriptionSchema } from "./schemas-subscriptions.ts";

/*
 * Subscriptions in the REST API: flattr a thing every month for 3, 6 or 12 months (the door is
 * src/flattr/subscriptions.ts; the worker runs each month).
 */

function subscriptionJson(s: Subscription): Out<typeof SubscriptionSchema> {
  return {
    id: s.id,
    thing_id: s.thingId,
    months: s.months,
    first_period: s.firstPeriod,
    last_period: s.lastPeriod,
    created_at: s.createdAt.toISOString(),
    cancelled_at: s.cancelledAt ? s.cancelledAt.toISOString() : null,
    runs: s.runs.map((r) => ({
      period: r.period,
      outcome: r.outcome,
      message: r.message,
      ran_at: r.ranAt.toISOString(),
    })),
  };
}

const getSubscription = endpoint(
  {
    method: "get",
    path: "/things/{id}/subscription",
    operationId: "getSubscription",
    summary: "Your running subscription of a thing and its months",
    tags: ["things"],
    auth: "read",
    params: ThingPath,
    responses: {
      200: { description: "The subscription.", json: SubscriptionSchema },
      404: "NotFound",
    },
  },
  async (c, { user, params }) => {
    const { config, database, clock } = c.var.deps;
    const s = await activeSubscription(database.db, clock, config, user.id, params.id);
    if (!s)
      throw new SubscriptionError(
        "not_subscribed",
        "You have no running subscription of this thing.",
      );
    return c.json(subscriptionJson(s));
  },
);

const postSubscription = endpoint(
  {
    method: "post",
    path: "/things/{id}/subscription",
    operationId: "subscribe",
    summary: "Flattr a thing every month for 3, 6 or 12 months",
    description:
      "This month is flattred at once (unless you already did), each next month at its start. " +
      "A month that cannot be flattred (no budget, the period limit) still counts; its run says " +
      "why. Not held to the per-minute flattr limit. Refusals: 422 invalid_months, own_thing; " +
      "404 thing_not_found; 409 already_subscribed.",
    tags: ["things"],
    auth: "write",
    params: ThingPath,
    body: SubscriptionInput,
    bodyExample: { months: 3 },
    responses: {
      201: { description: "Subscribed.", json: SubscriptionSchema },
      404: "NotFound",
      409: "Conflict",
      ...BODY_ERRORS,
    },
  },
  async (c, { user, params, body }) => {
    const { config, database, clock } = c.var.deps;
    const s = unwrap(await subscribe(database.db, clock, config, user.id, params.id, body.months));
    return c.json(subscriptionJson(s), 201);
  },
);

const deleteSubscription = endpoint(
  {
    method: "delete",
    path: "/things/{id}/subscription",
    operationId: "cancelSubscription",
    summary: "Cancel your subscription of a thing (flattrs already made stay)",
    tags: ["things"],
    auth: "write",
    params: ThingPath,
    responses: { 200: { description: "Cancelled.", json: SubscriptionSchema }, 404: "NotFound" },
  },
  async (c, { user, params }) => {
    const { config, database, clock } = c.var.deps;
    const s = unwrap(await cancelSubscription(database.db, clock, config, user.id, params.id));
    return c.json(subscriptionJson(s));
  },
);

export const subscriptionEndpoints = [getSubscription, postSubscription, deleteSubscription];
