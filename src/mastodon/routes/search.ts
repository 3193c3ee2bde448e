import { type Context, Hono } from "hono";
import { resolveThing } from "../../flattr/resolve.ts";
import type { Thing } from "../../flattr/things.ts";
import type { AppEnv } from "../../http/env.ts";
import { searchAccounts } from "../../social/account-search.ts";
import { findRemoteActorByUri } from "../../social/remote-actors.ts";
import { findStatusByUri } from "../../social/remote-statuses.ts";
import { statusById, type TimelineEntry } from "../../social/timelines.ts";
import { callerUser, requireScope } from "../auth.ts";
import type { MastodonAccount } from "../entities/account.ts";
import { MastodonError } from "../errors.ts";
import { asBoolean, asString, readParams } from "../input.ts";
import { pageParams } from "../pagination.ts";
import { presentStatuses } from "../present.ts";
import { type AccountRef, presentAccounts } from "../present-accounts.ts";

/*
 * `GET /api/v2/search`: accounts by name or handle among those known here, and, with
 * `resolve=true`, a handle or address of a remote account or post looked up on its server
 * through the resolve door (the same one the REST API's resolve and the search page use), so
 * an app can open, follow and star what it names. Posts are not searched by their text.
 */

type Ctx = Context<AppEnv>;

interface Found {
  accounts: AccountRef[];
  statuses: bigint[];
}

const looksResolvable = (q: string) =>
  /^https?:\/\//i.test(q) || /^@?[^@\s]+@[^@\s]+\.[^@\s]+$/.test(q) || /^acct:/i.test(q);

/** What a resolved thing is as an account or a status. */
async function fromThing(c: Ctx, thing: Thing): Promise<Found> {
  const db = c.var.deps.database.db;
  if (thing.kind === "profile")
    return {
      accounts: [{ userId: thing.ownerId, remoteActorId: thing.remoteOwnerId }],
      statuses: [],
    };
  const status = thing.objectUri ? await findStatusByUri(db, thing.objectUri) : null;
  return { accounts: [], statuses: status ? [status.id] : [] };
}

/** An address already known here: a cached account or status with that id. */
async function known(c: Ctx, q: string): Promise<Found> {
  const db = c.var.deps.database.db;
  const status = await findStatusByUri(db, q);
  if (status) return { accounts: [], statuses: [status.id] };
  const actor = await findRemoteActorByUri(db, q);
  if (actor) return { accounts: [{ userId: null, remoteActorId: actor.id }], statuses: [] };
  return { accounts: [], statuses: [] };
}

export function searchRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/api/v2/search", requireScope("read:search"), async (c) => {
    const user = await callerUser(c);
    const params = await readParams(c);
    const q = (asString(params.q) ?? "").trim().slice(0, 2048);
    const type = asString(params.type);
    const { limit } = pageParams(params, { defaultLimit: 20, maxLimit: 40 });
    const { config, database } = c.var.deps;
    const found: Found = { accounts: [], statuses: [] };
    if (q !== "" && looksResolvable(q)) {
      if (asBoolean(params.resolve)) {
        const lookup = c.var.remoteLookup;
        if (!lookup) throw new MastodonError(503, "Looking up other servers is not available.");
        const outcome = await resolveThing(c.var.deps, lookup, q);
        if (outcome.ok) Object.assign(found, await fromThing(c, outcome.value.thing));
      } else Object.assign(found, await known(c, q));
    }
    if (q !== "" && found.accounts.length === 0 && !/^https?:\/\//i.test(q))
      found.accounts = await searchAccounts(database.db, q, limit, config.origin.host);

    const accounts: MastodonAccount[] =
      type && type !== "accounts" ? [] : await presentAccounts(c, found.accounts.slice(0, limit));
    const entries: TimelineEntry[] = [];
    if (!type || type === "statuses")
      for (const id of found.statuses) {
        const entry = await statusById(database.db, config, id, user.id);
        if (entry) entries.push(entry);
      }
    return c.json({
      accounts,
      statuses: await presentStatuses(c, entries, user.id),
      hashtags: [],
    });
  });

  return app;
}
