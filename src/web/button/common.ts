import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { things } from "../../db/schema/flattr.ts";
import { FlattrError } from "../../flattr/errors.ts";
import { getThing, type ThingView } from "../../flattr/things.ts";
import type { AppEnv } from "../env.ts";
import { ClientError } from "../errors.ts";
import type { Target } from "./confirm-view.tsx";

/** A positive integer id from a path segment, or null ("abc", "0", "01", too large). */
export function parseId(raw: string | undefined): number | null {
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

/** A profile's public page: the actor URL is for servers, people get `/@name`. */
export function profilePageUrl(config: Config, username: string): string {
  return new URL(`/@${username}`, config.origin).href;
}

export function targetOf(config: Config, thing: ThingView): Target & { thingId: number } {
  return {
    thingId: thing.id,
    title: thing.title,
    url: thing.kind === "profile" ? profilePageUrl(config, thing.owner.username) : thing.url,
    description: thing.description,
    owner: { username: thing.owner.username, displayName: thing.owner.displayName },
    flattrsThisPeriod: thing.flattrsThisPeriod,
    flattrsAllTime: thing.flattrsAllTime,
  };
}

/** The id of a user's profile thing if it was ever flattred; never creates it (GET is read-only). */
export async function findProfileThingId(db: Db, userId: number): Promise<number | null> {
  const [row] = await db
    .select({ id: things.id })
    .from(things)
    .where(and(eq(things.ownerId, userId), eq(things.kind, "profile")));
  return row?.id ?? null;
}

/** Absolute URL on this instance. */
export function abs(config: Config, path: string): string {
  return new URL(path, config.origin).href;
}
