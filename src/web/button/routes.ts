import { Hono } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { badgeRoutes } from "./badge.ts";
import { confirmRoutes } from "./confirm.tsx";
import { embedRoutes } from "./embed.tsx";
import { profileFlattrRoutes } from "./profile.tsx";
import { scriptRoutes } from "./script.ts";
import { submitRoutes } from "./submit.tsx";
import { widgetRoutes } from "./widget.tsx";

/**
 * The flattr button for any website: the widget (`/button/…`, the only frameable page),
 * `/button.js`, badges, the auto-submit link and the confirmation pages every one of them leads
 * to (`/things/:id/flattr`, `/submit`, `/users/:username/flattr`), and the embed snippets.
 */
export function buttonRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", widgetRoutes());
  app.route("/", scriptRoutes());
  app.route("/", badgeRoutes());
  app.route("/", confirmRoutes());
  app.route("/", submitRoutes());
  app.route("/", profileFlattrRoutes());
  app.route("/", embedRoutes());
  return app;
}
