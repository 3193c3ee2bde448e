import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { buttonRoutes } from "./button/routes.ts";
import type { AppEnv } from "./env.ts";
import { moneyRoutes } from "./money-routes.tsx";
import { homeRoutes } from "./pages/home.tsx";
import { invitesRoutes } from "./pages/invites.tsx";
import { loginRoutes } from "./pages/login.tsx";
import { profileRoutes } from "./pages/profile.tsx";
import { settingsRoutes } from "./pages/settings.tsx";
import { setupRoutes } from "./pages/setup.tsx";
import { signupRoutes } from "./pages/signup.tsx";
import { tokensRoutes } from "./pages/tokens.tsx";

/**
 * The server-rendered pages. `c.var.user` and `c.var.csrfToken` come from `sessionMiddleware`
 * (src/web/session.ts), registered in src/app.ts before everything else.
 */
export function webRoutes(_deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", homeRoutes());
  app.route("/", signupRoutes());
  app.route("/", setupRoutes());
  app.route("/", loginRoutes());
  app.route("/", settingsRoutes());
  app.route("/", tokensRoutes());
  app.route("/", invitesRoutes());
  app.route("/", profileRoutes());
  app.route("/", buttonRoutes()); // before moneyRoutes: it owns POST /things/:id/flattr first
  app.route("/", moneyRoutes());
  return app;
}
