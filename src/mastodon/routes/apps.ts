import { Hono } from "hono";
import * as v from "valibot";
import { findAppById, OOB_REDIRECT_URI, registerApp } from "../../accounts/oauth/apps.ts";
import { OAuthError } from "../../accounts/oauth/errors.ts";
import { normalizeScopes } from "../../accounts/oauth/scopes.ts";
import { hitRateLimit } from "../../accounts/rate-limit.ts";
import { clientIp } from "../../http/client-ip.ts";
import type { AppEnv } from "../../http/env.ts";
import { caller, requireToken } from "../auth.ts";
import { applicationJson, credentialApplicationJson } from "../entities/application.ts";
import { invalidToken, MastodonError } from "../errors.ts";
import { lenient, parseParams } from "../input.ts";

const NewAppParams = v.object({
  client_name: lenient.string(),
  redirect_uris: lenient.stringOrList(),
  // Older apps send the singular.
  redirect_uri: lenient.stringOrList(),
  scopes: lenient.string(),
  website: lenient.string(),
});

/** `POST /api/v1/apps`, `GET /api/v1/apps/verify_credentials`. */
export function appRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/api/v1/apps", async (c) => {
    const { config, database, clock } = c.var.deps;
    // Open to anyone, as on Mastodon, so counted per address before anything else.
    const limit = await hitRateLimit(
      database.db,
      clock,
      `oauth-app:${clientIp(c, config)}`,
      config.appRateLimit,
    );
    if (!limit.allowed)
      throw new MastodonError(429, "Too many apps registered from your address; try again later.", {
        "Retry-After": String(limit.retryAfterSeconds),
      });
    const p = await parseParams(c, NewAppParams);
    try {
      const { app: created, clientSecret } = await registerApp(database.db, clock, {
        name: p.client_name ?? "",
        redirectUris: p.redirect_uris ?? p.redirect_uri ?? "",
        scopes: p.scopes,
        website: p.website,
      });
      return c.json(credentialApplicationJson(created, clientSecret));
    } catch (e) {
      // Mastodon answers a bad registration as a validation failure the app shows as is.
      if (e instanceof OAuthError) throw new MastodonError(422, `Validation failed: ${e.message}`);
      throw e;
    }
  });

  app.get("/api/v1/apps/verify_credentials", requireToken(), async (c) => {
    const holder = await caller(c);
    // A personal access token was made on /settings/tokens, by no app: describe it as one, as
    // Mastodon's "Development" tokens belong to an app of their own.
    if (holder.appId === null)
      return c.json({
        ...applicationJson({
          id: 0,
          clientId: "",
          name: "Personal access token",
          website: null,
          redirectUris: [OOB_REDIRECT_URI],
          scopes: normalizeScopes(holder.scopes),
          createdAt: new Date(0),
        }),
      });
    const found = await findAppById(c.var.deps.database.db, holder.appId);
    if (!found) throw invalidToken();
    return c.json(applicationJson(found));
  });

  return app;
}
