import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { profileThing } from "./things.ts";

/*
 * Which local thing an ActivityPub object id names: the one mapping every inbound activity about
 * our things uses (a `Like` of a post, a profile, a page). Only ids on our own origin can be ours.
 */

const ACTOR = /^\/users\/([^/]+)$/;
const THING = /^\/things\/([1-9][0-9]{0,15})$/;

/**
 * The local thing `objectUri` names, or null: a thing whose object id it is (local posts and
 * registered pages served as objects), a local status's thing, a local user's actor (their
 * profile thing, created on first use), or a thing's own page `/things/<id>` of a local thing.
 */
export async function localThingForObject(
  db: Db,
  clock: Clock,
  config: Config,
  objectUri: string,
): Promise<number | null> {
  let url: URL;
  try {
    url = new URL(objectUri);
  } catch {
    return null;
  }
  if (url.origin !== config.origin.origin || url.search !== "" || url.hash !== "") return null;
  const [byObject] = await queryRows<{ id: string }>(
    db,
    sql`select t.id::text from things t
        where t.object_uri = ${url.href} and t.owner_kind = 'local'
        union all
        select s.thing_id::text from statuses s
        where s.uri = ${url.href} and s.user_id is not null and s.thing_id is not null
        limit 1`,
  );
  if (byObject) return Number(byObject.id);

  const actor = ACTOR.exec(url.pathname);
  if (actor) {
    let username: string;
    try {
      username = decodeURIComponent(actor[1]!);
    } catch {
      return null;
    }
    // Actor ids are canonical usernames (src/federation/actors.ts): /users/alice is not Alice.
    const [user] = await queryRows<{ id: string }>(
      db,
      sql`select id::text from users where username = ${username}`,
    );
    return user ? (await profileThing(db, clock, config, Number(user.id))).id : null;
  }
  const thing = THING.exec(url.pathname);
  if (thing) {
    const [row] = await queryRows<{ id: string }>(
      db,
      sql`select id::text from things where id = ${thing[1]}::int8 and owner_kind = 'local'`,
    );
    return row ? Number(row.id) : null;
  }
  return null;
}
