import type { Context } from "hono";
import type { Config } from "../../config/config.ts";
import { FlattrError } from "../../flattr/errors.ts";
import { getThing, type ThingView } from "../../flattr/things.ts";
import type { AppEnv } from "../../http/env.ts";
import { ClientError } from "../../http/errors.ts";
import { profileUrl } from "../../http/urls.ts";
import type { Target } from "./confirm-view.tsx";

/** A positive integer id from a path segment, or null ("abc", "0", "01", too large). */
function parseId(raw: string | undefined): number | null {
  if (!raw || !/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/** The thing named by the `id` path parameter, or a 404. */
export function loadThing(c: Context<AppEnv>): Promise<ThingView> {
  return loadThingById(c, c.req.param("id"));
}

export async function loadThingById(
  c: Context<AppEnv>,
  raw: string | undefined,
): Promise<ThingView> {
  const { config, database, clock } = c.var.deps;
  const id = parseId(raw);
  if (id === null) throw new ClientError(404, "There is no such thing here.");
  try {
    return await getThing(database.db, clock, config, id);
  } catch (e) {
    if (e instanceof FlattrError && e.code === "thing_not_found")
      throw new ClientError(404, `There is no thing ${id} here.`);
    throw e;
  }
}

/** Sends a visitor to the login page and, after it, back to this very URL. */
export function loginRedirect(c: Context<AppEnv>): Response {
  const url = new URL(c.req.url);
  return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
}

/**
 * What the confirmation shows of a thing; a local profile is shown as its page for people (a
 * remote one's url is already its server's profile page).
 */
export function targetOf(config: Config, thing: ThingView): Target & { thingId: number } {
  return {
    thingId: thing.id,
    title: thing.title,
    url:
      thing.kind === "profile" && thing.ownerKind === "local"
        ? profileUrl(config, thing.owner.username)
        : thing.url,
    description: thing.description,
    owner: { username: thing.owner.username, displayName: thing.owner.displayName },
    flattrsThisPeriod: thing.flattrsThisPeriod,
    flattrsAllTime: thing.flattrsAllTime,
    verified: thing.kind === "page" ? thing.verified : undefined,
  };
}
