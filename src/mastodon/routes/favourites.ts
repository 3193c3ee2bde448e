import { type Context, Hono } from "hono";
import { tokenCredential } from "../../accounts/tokens.ts";
import type { DomainError, Result } from "../../errors.ts";
import { flattredStatuses, flattrersOf } from "../../flattr/status-flattrs.ts";
import {
  flattrStatus,
  type StarTokenRefusal,
  starByToken,
  unflattrStatus,
} from "../../flattr/use-cases/index.ts";
import type { AppEnv } from "../../http/env.ts";
import { retryAfterSeconds } from "../../http/error-status.ts";
import { wholeJson } from "../../http/whole-answer.ts";
import { parsePostId } from "../../social/posts.ts";
import { statusById, statusesByIds } from "../../social/timelines.ts";
import { bearerOf, callerUser, checkScope, optionalViewer, requireScope } from "../auth.ts";
import { statusJson } from "../entities/status.ts";
import { invalidToken, MastodonError, notFound, outsideScopes, userRequired } from "../errors.ts";
import { readParams } from "../input.ts";
import { linkHeader, pageParams } from "../pagination.ts";
import { presentStatus, presentStatuses } from "../present.ts";
import { presentAccounts } from "../present-accounts.ts";
import { statusIdOf } from "./statuses.ts";

/*
 * Favourite = flattr. The star flattrs the status for the current period through the one
 * flattr door (a remote post's flattr sends its `Like` with the payment extension); taking the
 * star back unflattrs it while the period is open. A star that cannot be a flattr answers 422
 * with the refusal's sentence, which apps show as it is; nothing changes then.
 */

type Ctx = Context<AppEnv>;

/** A refused star as the app should show it: 404 for no such post, 429 to wait, else 422. */
function starRefused(c: Ctx, e: DomainError): never {
  if (e.code === "thing_not_found") throw notFound();
  if (e.code === "rate_limited") {
    const after = retryAfterSeconds(e.code, c.var.deps.config);
    throw new MastodonError(429, e.message, after === null ? {} : { "Retry-After": String(after) });
  }
  throw new MastodonError(422, e.message);
}

/** A token the star's statement refused, answered as requireScope answers it. */
function tokenRefused(refusal: StarTokenRefusal): MastodonError {
  if (refusal === "insufficient_scope") return outsideScopes("write:favourites");
  if (refusal === "user_required") return userRequired();
  return invalidToken();
}

function starDone<T>(c: Ctx, result: Result<T, DomainError>): T {
  if (!result.ok) starRefused(c, result.error);
  return result.value;
}

export function favouriteRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // The busiest write of the API: with a user's token and a well-formed id, one statement
  // checks the token, reads the status as the payer may read it, flattrs and reads the Status to
  // answer (ADR 0028). Anything else takes the ordinary way; both answer the same statuses in
  // the same order (token, then scope, then user, then the status), which is why this route
  // checks its own token.
  app.post("/api/v1/statuses/:id/favourite", async (c) => {
    const { database, clock, config } = c.var.deps;
    const deps = { db: database.db, clock, config };
    const bearer = bearerOf(c);
    const credential = bearer ? tokenCredential(bearer, clock.now()) : null;
    const statusId = parsePostId(c.req.param("id"));
    if (credential && statusId !== null) {
      const star = await starByToken(deps, credential, statusId);
      if (!star.tokenOk) throw tokenRefused(star.refusal);
      const done = starDone(c, star.result);
      // The busiest answer of the API: whole (src/http/whole-answer.ts, ADR 0040).
      if (done.extras) return wholeJson(c, statusJson(config, done.status, done.extras), 200);
      return c.json(await presentStatus(c, done.status, star.payerId));
    }
    await checkScope(c, "write:favourites");
    const user = await callerUser(c);
    const done = starDone(
      c,
      await flattrStatus(deps, user.id, statusIdOf(c), { appId: user.appId ?? null }),
    );
    return c.json(await presentStatus(c, done.status, user.id));
  });

  app.post("/api/v1/statuses/:id/unfavourite", requireScope("write:favourites"), async (c) => {
    const user = await callerUser(c);
    const { database, clock, config } = c.var.deps;
    const deps = { db: database.db, clock, config };
    const done = starDone(c, await unflattrStatus(deps, user.id, statusIdOf(c)));
    return c.json(await presentStatus(c, done.status, user.id));
  });

  app.get("/api/v1/statuses/:id/favourited_by", async (c) => {
    const viewer = await optionalViewer(c, "read:accounts");
    const { database, config } = c.var.deps;
    const status = await statusById(database.db, config, statusIdOf(c), viewer);
    if (!status) throw notFound();
    if (status.thingId === null) return c.json([]);
    const { limit } = pageParams(await readParams(c), { defaultLimit: 40, maxLimit: 80 });
    const who = await flattrersOf(database.db, status.thingId, limit);
    return c.json(
      await presentAccounts(c, [
        ...who.userIds.map((userId) => ({ userId, remoteActorId: null })),
        ...who.remoteActorIds.map((remoteActorId) => ({ userId: null, remoteActorId })),
      ]),
    );
  });

  // What you flattred, newest first, across periods; paged by the flattr, as Mastodon pages
  // favourites by the favourite rather than the status.
  app.get("/api/v1/favourites", requireScope("read:favourites"), async (c) => {
    const user = await callerUser(c);
    const { database, config } = c.var.deps;
    const page = pageParams(await readParams(c), { defaultLimit: 20, maxLimit: 40 });
    const list = await flattredStatuses(database.db, user.id, page);
    const found = await statusesByIds(
      database.db,
      config,
      list.map((f) => f.statusId),
      user.id,
    );
    const entries = list.flatMap((f) => {
      const e = found.get(f.statusId);
      return e ? [e] : [];
    });
    const link = linkHeader(
      new URL(c.req.url),
      list.map((f) => f.flattrId.toString()),
    );
    if (link) c.header("Link", link);
    return c.json(await presentStatuses(c, entries, user.id));
  });

  return app;
}
