import { Hono } from "hono";
import type { AppEnv } from "./env.ts";
import { budgetRoutes } from "./pages/budget.tsx";
import { thingRoutes } from "./pages/thing.tsx";
import { thingsRoutes } from "./pages/things.tsx";

/** The money pages: wallet, budget, things, this month, earnings, statements, admin deposits. */
export function moneyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", budgetRoutes());
  // Before thingRoutes: /things/new is not a thing id.
  app.route("/", thingsRoutes());
  app.route("/", thingRoutes());
  return app;
}
