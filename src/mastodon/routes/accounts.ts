import { Hono } from "hono";
import { scopeAllows } from "../../accounts/oauth/scopes.ts";
import { findUserById } from "../../accounts/users.ts";
import type { AppEnv } from "../../http/env.ts";
import { accountStats } from "../../social/account-stats.ts";
import { callerUser, requireScope } from "../auth.ts";
import { credentialAccount } from "../entities/account.ts";
import { invalidToken } from "../errors.ts";

/** `GET /api/v1/accounts/verify_credentials` (the other account endpoints come later). */
export function accountRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // `profile` (Mastodon 4.3) is enough to learn who the user is; it does not see `source`.
  app.get(
    "/api/v1/accounts/verify_credentials",
    requireScope("read:accounts", "profile"),
    async (c) => {
      const who = await callerUser(c);
      const { config, database } = c.var.deps;
      const user = await findUserById(database.db, who.id);
      if (!user) throw invalidToken();
      const stats = await accountStats(database.db, user.id);
      const profileOnly = !scopeAllows(who.scopes ?? [], "read:accounts");
      return c.json(credentialAccount(config, user, stats, { profileOnly }));
    },
  );

  return app;
}
