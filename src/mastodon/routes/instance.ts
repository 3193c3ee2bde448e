import { type Context, Hono } from "hono";
import { findFirstAdmin } from "../../accounts/users.ts";
import type { AppEnv } from "../../http/env.ts";
import { accountStats } from "../../social/account-stats.ts";
import { instanceStats } from "../../social/instance-stats.ts";
import { localAccount } from "../entities/account.ts";
import { type InstanceFacts, instanceV1, instanceV2 } from "../entities/instance.ts";

async function facts(c: Context<AppEnv>): Promise<InstanceFacts> {
  const { config, database } = c.var.deps;
  const [stats, admin] = await Promise.all([
    instanceStats(database.db),
    findFirstAdmin(database.db),
  ]);
  const contact = admin
    ? localAccount(config, admin, await accountStats(database.db, admin.id))
    : null;
  return { stats, contact };
}

/** `GET /api/v1/instance`, `/api/v2/instance` and the instance's sub-resources apps probe. */
export function instanceRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const publicCache = (c: Context) => c.header("Cache-Control", "public, max-age=60");

  app.get("/api/v1/instance", async (c) => {
    publicCache(c);
    return c.json(instanceV1(c.var.deps.config, await facts(c)));
  });
  app.get("/api/v2/instance", async (c) => {
    publicCache(c);
    return c.json(instanceV2(c.var.deps.config, await facts(c)));
  });
  for (const path of [
    "/api/v1/instance/rules",
    "/api/v1/instance/peers",
    "/api/v1/instance/domain_blocks",
  ])
    app.get(path, (c) => c.json([]));
  app.get("/api/v1/instance/activity", (c) => c.json([]));
  app.get("/api/v1/instance/extended_description", (c) =>
    c.json({ updated_at: null, content: "" }),
  );
  return app;
}
