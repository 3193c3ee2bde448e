import { type Context, Hono } from "hono";
import * as v from "valibot";
import { scopeAllows } from "../../accounts/oauth/scopes.ts";
import {
  POST_VISIBILITY,
  type PreferenceChanges,
  readPreferences,
  updateProfileAndPreferences,
} from "../../accounts/preferences.ts";
import { findUserById, findUserByUsername } from "../../accounts/users.ts";
import { unwrap } from "../../errors.ts";
import { type AppEnv, socialDeps } from "../../http/env.ts";
import { searchAccounts } from "../../social/account-search.ts";
import { accountStats } from "../../social/account-stats.ts";
import { follow, listFollowers, listFollowing, unfollow } from "../../social/follows.ts";
import { relationshipsOf } from "../../social/relationships.ts";
import { findRemoteActorByHandle } from "../../social/remote-actors.ts";
import { statusesByAuthor } from "../../social/timelines.ts";
import { callerUser, optionalViewer, requireScope } from "../auth.ts";
import { credentialAccount, localAccount, remoteAccount } from "../entities/account.ts";
import { invalidToken, notFound } from "../errors.ts";
import {
  asBoolean,
  asString,
  asStringList,
  lenient,
  nestedParam,
  parseParams,
  readParams,
} from "../input.ts";
import { idParam, linkHeader, pageParams } from "../pagination.ts";
import { presentStatuses } from "../present.ts";
import { accountById, presentAccounts } from "../present-accounts.ts";

/*
 * Accounts: the caller's own (verify_credentials, update_credentials), anyone's profile, posts
 * and follow lists, relationships, follow and unfollow, and finding accounts by name. Account
 * ids are local user ids or cached remote actor ids (src/mastodon/present-accounts.ts).
 */

type Ctx = Context<AppEnv>;

async function accountOfPath(c: Ctx) {
  const id = idParam(c.req.param("id"));
  const found = id === undefined ? null : await accountById(c, id);
  if (!found) throw notFound();
  return found;
}

function relationshipJson(
  id: string,
  rel: { following: boolean; requested: boolean; followedBy: boolean },
) {
  return {
    id,
    following: rel.following,
    showing_reblogs: rel.following,
    notifying: false,
    languages: null,
    followed_by: rel.followedBy,
    blocking: false,
    blocked_by: false,
    muting: false,
    muting_notifications: false,
    requested: rel.requested,
    requested_by: false,
    domain_blocking: false,
    endorsed: false,
    note: "",
  };
}

async function relationshipFor(c: Ctx, userId: number, id: string, actorUri: string) {
  const rels = await relationshipsOf(c.var.deps.database.db, userId, [actorUri]);
  return relationshipJson(id, rels.get(actorUri)!);
}

/** A follow list answered with a Link whose `max_id` is the list's own cursor. */
async function followList(c: Ctx, which: "followers" | "following") {
  await optionalViewer(c, "read:accounts");
  const { ref } = await accountOfPath(c);
  // Remote accounts' lists live on their servers.
  if (ref.userId === null) return c.json([]);
  const params = await readParams(c);
  const { limit } = pageParams(params, { defaultLimit: 40, maxLimit: 80 });
  const after = idParam(params.max_id);
  const list = which === "followers" ? listFollowers : listFollowing;
  const page = await list(socialDeps(c), ref.userId, {
    after: after === undefined ? null : Number(after),
    limit,
  });
  if (page.next !== null) {
    const next = new URL(c.req.url);
    next.searchParams.set("max_id", String(page.next));
    c.header("Link", `<${next.href}>; rel="next"`);
  }
  return c.json(
    await presentAccounts(
      c,
      page.entries.map((e) => ({ userId: e.userId, remoteActorId: e.remoteActorId })),
    ),
  );
}

const ProfileParams = v.object({ display_name: lenient.string(), note: lenient.string() });

/** The posting defaults update_credentials changes, from `source[privacy|sensitive|language]`. */
async function sourceChanges(c: Ctx): Promise<PreferenceChanges> {
  const params = await readParams(c);
  const privacy = nestedParam(params, "source", "privacy");
  const sensitive = nestedParam(params, "source", "sensitive");
  const language = nestedParam(params, "source", "language");
  const changes: PreferenceChanges = {};
  if (privacy !== undefined) changes.visibility = asString(privacy) ?? "";
  if (sensitive !== undefined) changes.sensitive = asBoolean(sensitive) ?? false;
  // Apps send "" (or null in JSON) to clear the language; anything else that is no string
  // (an object, a list of objects) is refused by the door as no language code.
  if (language !== undefined)
    changes.language = language === null ? null : (asString(language) ?? "[not a string]");
  return changes;
}

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
      const [stats, preferences] = await Promise.all([
        accountStats(database.db, user.id),
        readPreferences(database.db, user.id),
      ]);
      const profileOnly = !scopeAllows(who.scopes ?? [], "read:accounts");
      return c.json(credentialAccount(config, user, stats, preferences, { profileOnly }));
    },
  );

  app.patch("/api/v1/accounts/update_credentials", requireScope("write:accounts"), async (c) => {
    const who = await callerUser(c);
    const { config, database } = c.var.deps;
    const user = await findUserById(database.db, who.id);
    if (!user) throw invalidToken();
    const p = await parseParams(c, ProfileParams);
    const { user: updated, preferences } = await updateProfileAndPreferences(
      database.db,
      user.id,
      { displayName: p.display_name ?? user.displayName, bio: p.note ?? user.bio },
      await sourceChanges(c),
    );
    const stats = await accountStats(database.db, user.id);
    return c.json(credentialAccount(config, updated, stats, preferences, { profileOnly: false }));
  });

  // What the settings page and update_credentials chose. We have no GIF autoplay setting: apps
  // get Mastodon's default for it.
  app.get("/api/v1/preferences", requireScope("read:accounts"), async (c) => {
    const who = await callerUser(c);
    const p = await readPreferences(c.var.deps.database.db, who.id);
    return c.json({
      "posting:default:visibility": POST_VISIBILITY,
      "posting:default:sensitive": p.sensitive,
      "posting:default:language": p.language,
      "reading:expand:media": p.expandMedia,
      "reading:expand:spoilers": p.expandSpoilers,
      "reading:autoplay:gifs": false,
    });
  });

  // Only accounts known here; finding one on another server is search with resolve=true.
  app.get("/api/v1/accounts/lookup", async (c) => {
    await optionalViewer(c, "read:accounts");
    const { config, database } = c.var.deps;
    const acct = (asString((await readParams(c)).acct) ?? "").trim().replace(/^@/, "");
    const [name, host] = acct.split("@");
    if (!name) throw notFound();
    if (host === undefined || host.toLowerCase() === config.origin.host.toLowerCase()) {
      const user = await findUserByUsername(database.db, name);
      if (!user) throw notFound();
      return c.json(localAccount(config, user, await accountStats(database.db, user.id)));
    }
    const actor = await findRemoteActorByHandle(database.db, acct);
    if (!actor) throw notFound();
    return c.json(remoteAccount(config, actor));
  });

  app.get("/api/v1/accounts/search", requireScope("read:accounts"), async (c) => {
    const params = await readParams(c);
    const { limit } = pageParams(params, { defaultLimit: 40, maxLimit: 80 });
    const { config, database } = c.var.deps;
    const hits = await searchAccounts(
      database.db,
      asString(params.q) ?? "",
      limit,
      config.origin.host,
    );
    return c.json(await presentAccounts(c, hits));
  });

  app.get("/api/v1/accounts/relationships", requireScope("read:follows"), async (c) => {
    const user = await callerUser(c);
    const ids = (asStringList((await readParams(c)).id) ?? []).slice(0, 40);
    const found: { id: string; uri: string }[] = [];
    for (const raw of ids) {
      const id = idParam(raw);
      const account = id === undefined ? null : await accountById(c, id);
      if (account) found.push({ id: account.account.id, uri: account.account.uri });
    }
    const rels = await relationshipsOf(
      c.var.deps.database.db,
      user.id,
      found.map((f) => f.uri),
    );
    return c.json(found.map((f) => relationshipJson(f.id, rels.get(f.uri)!)));
  });

  app.get("/api/v1/accounts/:id", async (c) => {
    await optionalViewer(c, "read:accounts");
    return c.json((await accountOfPath(c)).account);
  });

  app.get("/api/v1/accounts/:id/statuses", async (c) => {
    const viewer = await optionalViewer(c, "read:statuses");
    const { ref } = await accountOfPath(c);
    const params = await readParams(c);
    // No media, no pins, no boosts here: those filters leave nothing or everything.
    if (asBoolean(params.only_media) || asBoolean(params.pinned)) return c.json([]);
    const page = pageParams(params);
    const author: { userId: number } | { remoteActorId: bigint } =
      ref.userId !== null ? { userId: ref.userId } : { remoteActorId: ref.remoteActorId! };
    const { database, config } = c.var.deps;
    const entries = await statusesByAuthor(database.db, config, author, viewer, {
      ...page,
      excludeReplies: asBoolean(params.exclude_replies) ?? false,
    });
    const link = linkHeader(
      new URL(c.req.url),
      entries.map((e) => e.id),
    );
    if (link) c.header("Link", link);
    return c.json(await presentStatuses(c, entries, viewer));
  });

  app.get("/api/v1/accounts/:id/followers", (c) => followList(c, "followers"));
  app.get("/api/v1/accounts/:id/following", (c) => followList(c, "following"));

  app.post("/api/v1/accounts/:id/follow", requireScope("write:follows", "follow"), async (c) => {
    const user = await callerUser(c);
    const { account } = await accountOfPath(c);
    unwrap(await follow(socialDeps(c), user.id, account.uri));
    return c.json(await relationshipFor(c, user.id, account.id, account.uri));
  });

  app.post("/api/v1/accounts/:id/unfollow", requireScope("write:follows", "follow"), async (c) => {
    const user = await callerUser(c);
    const { account } = await accountOfPath(c);
    await unfollow(socialDeps(c), user.id, account.uri);
    return c.json(await relationshipFor(c, user.id, account.id, account.uri));
  });

  return app;
}
