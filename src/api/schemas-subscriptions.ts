import * as v from "valibot";
import { SUBSCRIPTION_MONTHS } from "../flattr/subscriptions.ts";
import { Period } from "./schemas.ts";

/* Schemas of subscriptions ("flattr this every month for 3, 6 or 12 months"). */

const time = (description: string) =>
  v.pipe(v.string(), v.isoTimestamp(), v.description(description));

export const SubscriptionInput = v.object({
  months: v.pipe(
    v.number(),
    v.integer(),
    v.description(
      `How many months, this one included: ${SUBSCRIPTION_MONTHS.join(", ")} (422 invalid_months otherwise).`,
    ),
  ),
});

export const SubscriptionRunSchema = v.strictObject({
  period: Period,
  outcome: v.pipe(
    v.string(),
    v.description(
      "flattred; already_flattred (you had flattred it yourself that month); or why the month " +
        "could not be flattred: no_budget, period_limit, period_closed, thing_not_found, …",
    ),
  ),
  message: v.pipe(v.nullable(v.string()), v.description("The reason in words.")),
  ran_at: time("When the month was run."),
});

export const SubscriptionSchema = v.strictObject({
  id: v.pipe(v.number(), v.integer(), v.description("Subscription id.")),
  thing_id: v.pipe(v.number(), v.integer(), v.description("The thing flattred every month.")),
  months: v.pipe(v.number(), v.integer(), v.description("Its length in months.")),
  first_period: Period,
  last_period: Period,
  created_at: time("When it was made."),
  cancelled_at: v.pipe(v.nullable(v.string()), v.description("When it was cancelled, if it was.")),
  runs: v.pipe(
    v.array(SubscriptionRunSchema),
    v.description(
      "Months run so far, oldest first. A month that could not be flattred still counts.",
    ),
  ),
});

export const SUBSCRIPTION_COMPONENTS = {
  SubscriptionInput,
  SubscriptionRun: SubscriptionRunSchema,
  Subscription: SubscriptionSchema,
};
