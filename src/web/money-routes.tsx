import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { adminDepositsRoutes } from "./pages/admin-deposits.tsx";
import { adminDomainsRoutes } from "./pages/admin-domains.tsx";
import { adminPayoutsRoutes } from "./pages/admin-payouts.tsx";
import { adminPeersRoutes } from "./pages/admin-peers.tsx";
import { adminSettlementsRoutes } from "./pages/admin-settlements.tsx";
import { budgetRoutes } from "./pages/budget.tsx";
import { earningsRoutes } from "./pages/earnings.tsx";
import { flattrsRoutes } from "./pages/flattrs.tsx";
import { payoutsRoutes } from "./pages/payouts.tsx";
import { statementRoutes } from "./pages/statement.tsx";
import { thingRoutes } from "./pages/thing.tsx";
import { thingsRoutes } from "./pages/things.tsx";
import { walletRoutes } from "./pages/wallet.tsx";

/** The money pages: wallet, budget, things, this month, earnings, statements, admin deposits. */
export function moneyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", budgetRoutes());
  app.route("/", walletRoutes());
  app.route("/", flattrsRoutes());
  app.route("/", earningsRoutes());
  app.route("/", statementRoutes());
  // Before thingRoutes: /things/new is not a thing id.
  app.route("/", thingsRoutes());
  app.route("/", thingRoutes());
  app.route("/", payoutsRoutes());
  app.route("/", adminDepositsRoutes());
  app.route("/", adminPayoutsRoutes());
  app.route("/", adminPeersRoutes());
  app.route("/", adminSettlementsRoutes());
  app.route("/", adminDomainsRoutes());
  return app;
}
