import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "./env.ts";

// SKELETON: the accounts helper replaces this with sessions, CSRF and the account pages.
export function webRoutes(_deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", (c) =>
    c.html(
      <html lang="en">
        <body>
          <h1>Fediflattr</h1>
        </body>
      </html>,
    ),
  );
  return app;
}
