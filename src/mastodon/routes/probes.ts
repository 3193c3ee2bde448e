import { Hono, type MiddlewareHandler } from "hono";
import type { Scope } from "../../accounts/oauth/scopes.ts";
import type { AppEnv } from "../../http/env.ts";
import { requireScope } from "../auth.ts";

/*
 * What apps ask for on start and we do not have (yet): each answers what Mastodon answers for an
 * empty result, with the scope Mastodon asks for, so an app never meets a 404 it cannot handle.
 * A later endpoint replaces its line here.
 */

const EMPTY_LISTS: readonly [path: string, scope: Scope | null][] = [
  ["/api/v1/custom_emojis", null],
  ["/api/v1/announcements", null],
  ["/api/v1/trends", null],
  ["/api/v1/trends/tags", null],
  ["/api/v1/trends/statuses", null],
  ["/api/v1/trends/links", null],
  ["/api/v1/directory", null],
  ["/api/v1/lists", "read:lists"],
  ["/api/v1/filters", "read:filters"],
  ["/api/v2/filters", "read:filters"],
  ["/api/v1/followed_tags", "read:follows"],
  ["/api/v1/suggestions", "read"],
  ["/api/v2/suggestions", "read"],
  ["/api/v1/follow_requests", "read:follows"],
  ["/api/v1/conversations", "read:statuses"],
  ["/api/v1/blocks", "read:blocks"],
  ["/api/v1/mutes", "read:mutes"],
  ["/api/v1/domain_blocks", "read:blocks"],
  ["/api/v1/bookmarks", "read:bookmarks"],
  ["/api/v1/scheduled_statuses", "read:statuses"],
  ["/api/v1/endorsements", "read:accounts"],
  ["/api/v1/featured_tags", "read:accounts"],
  ["/api/v1/featured_tags/suggestions", "read:accounts"],
];

const open: MiddlewareHandler<AppEnv> = (_c, next) => next();

export function probeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const [path, scope] of EMPTY_LISTS)
    app.get(path, scope ? requireScope(scope) : open, (c) => c.json([]));

  return app;
}
