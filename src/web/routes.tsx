import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/env.ts";
import { avatarRoutes } from "./avatar.ts";
import { buttonRoutes } from "./button/routes.ts";
import { errorPages } from "./error-page.tsx";
import { moneyRoutes } from "./money-routes.tsx";
import { accountRoutes } from "./pages/account.tsx";
import { appsRoutes } from "./pages/apps.tsx";
import { discoverRoutes } from "./pages/discover.tsx";
import { followingRoutes } from "./pages/following.tsx";
import { homeRoutes } from "./pages/home.tsx";
import { invitesRoutes } from "./pages/invites.tsx";
import { loginRoutes } from "./pages/login.tsx";
import { oauthAuthorizeRoutes } from "./pages/oauth-authorize.tsx";
import { passwordResetRoutes } from "./pages/password-reset.tsx";
import { postRoutes } from "./pages/posts.tsx";
import { profileRoutes } from "./pages/profile.tsx";
import { searchRoutes } from "./pages/search.tsx";
import { settingsRoutes } from "./pages/settings.tsx";
import { setupRoutes } from "./pages/setup.tsx";
import { signupRoutes } from "./pages/signup.tsx";
import { tokensRoutes } from "./pages/tokens.tsx";
import { sessionMiddleware } from "./session.ts";

/**
 * The server-rendered pages. They register their own `sessionMiddleware` (src/web/session.ts),
 * which sets `c.var.user` and `c.var.csrfToken`; mounted last in src/app.ts, after the API and
 * Fedify, it runs for whatever those did not answer.
 */
export function webRoutes(_deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", avatarRoutes()); // images for apps: no session needed
  app.use(errorPages()); // before the session: its refusals get the layout too
  app.use(sessionMiddleware());
  app.route("/", homeRoutes());
  app.route("/", signupRoutes());
  app.route("/", setupRoutes());
  app.route("/", loginRoutes());
  app.route("/", settingsRoutes());
  app.route("/", accountRoutes());
  app.route("/", passwordResetRoutes());
  app.route("/", tokensRoutes());
  app.route("/", appsRoutes());
  app.route("/", oauthAuthorizeRoutes());
  app.route("/", invitesRoutes());
  app.route("/", profileRoutes());
  app.route("/", searchRoutes());
  app.route("/", discoverRoutes());
  app.route("/", postRoutes());
  app.route("/", followingRoutes());
  app.route("/", buttonRoutes()); // before moneyRoutes: it owns POST /things/:id/flattr first
  app.route("/", moneyRoutes());
  return app;
}
