import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import type { Period } from "../periods/period.ts";
import { currentPeriod } from "./current-period.ts";

/*
 * What the discovery page lists: this instance's things (pages and posts; profiles are their
 * creators) and creators, newest and most flattred this month. Flattrs from users of peers count
 * like local ones: they are flattrs of a thing here. Only what is public anyway (thing pages and
 * profiles are public), and only active flattrs.
 */

export interface DiscoveredThing {
  id: number;
  kind: string;
  title: string;
  url: string;
  owner: { username: string; displayName: string };
  createdAt: Date;
  /** Active flattrs this month, from here and from peers. */
  flattrs: number;
}

export interface DiscoveredCreator {
  username: string;
  displayName: string;
  bio: string;
  joinedAt: Date;
  /** Active flattrs of all their things (profile included) this month. */
  flattrs: number;
}

export interface Discovery {
  period: Period;
  newestThings: DiscoveredThing[];
  mostFlattredThings: DiscoveredThing[];
  newestCreators: DiscoveredCreator[];
  mostFlattredCreators: DiscoveredCreator[];
}

/** Active flattrs per thing in a period: local payers and users of peers. */
const monthCounts = (period: Period) => sql`(
  select thing_id, count(*)::int as n from (
    select thing_id from flattrs where period = ${period}::text and withdrawn_at is null
    union all
    select thing_id from incoming_flattrs where period = ${period}::text and withdrawn_at is null
  ) x group by thing_id)`;

interface ThingRow extends Record<string, unknown> {
  id: string;
  kind: string;
  title: string;
  url: string;
  username: string;
  display_name: string;
  created_at: string | Date;
  n: number | null;
}

interface CreatorRow extends Record<string, unknown> {
  username: string;
  display_name: string;
  bio: string;
  created_at: string | Date;
  n: number | null;
}

const toThing = (r: ThingRow): DiscoveredThing => ({
  id: Number(r.id),
  kind: r.kind,
  title: r.title,
  url: r.url,
  owner: { username: r.username, displayName: r.display_name },
  createdAt: new Date(r.created_at),
  flattrs: Number(r.n ?? 0),
});

const toCreator = (r: CreatorRow): DiscoveredCreator => ({
  username: r.username,
  displayName: r.display_name,
  bio: r.bio,
  joinedAt: new Date(r.created_at),
  flattrs: Number(r.n ?? 0),
});

export async function discover(
  db: Db,
  config: Config,
  clock: Clock,
  limit = 10,
): Promise<Discovery> {
  const period = currentPeriod(clock, config);
  const counts = monthCounts(period);
  const thingSelect = sql`select t.id::text, t.kind, t.title, t.url, u.username, u.display_name,
                                 t.created_at, c.n
                          from things t
                          join users u on u.id = t.owner_id
                          left join ${counts} c on c.thing_id = t.id
                          where t.owner_kind = 'local' and t.kind <> 'profile'`;
  const creatorSelect = sql`select u.username, u.display_name, u.bio, u.created_at, c.n
                            from users u
                            left join (select t.owner_id, sum(m.n)::int as n
                                       from things t join ${counts} m on m.thing_id = t.id
                                       where t.owner_kind = 'local'
                                       group by t.owner_id) c on c.owner_id = u.id`;
  const [newestThings, mostThings, newestCreators, mostCreators] = await Promise.all([
    queryRows<ThingRow>(
      db,
      sql`${thingSelect} order by t.created_at desc, t.id desc limit ${limit}`,
    ),
    queryRows<ThingRow>(db, sql`${thingSelect} and c.n > 0 order by c.n desc, t.id limit ${limit}`),
    queryRows<CreatorRow>(
      db,
      sql`${creatorSelect} order by u.created_at desc, u.id desc limit ${limit}`,
    ),
    queryRows<CreatorRow>(
      db,
      sql`${creatorSelect} where c.n > 0 order by c.n desc, u.id limit ${limit}`,
    ),
  ]);
  return {
    period,
    newestThings: newestThings.map(toThing),
    mostFlattredThings: mostThings.map(toThing),
    newestCreators: newestCreators.map(toCreator),
    mostFlattredCreators: mostCreators.map(toCreator),
  };
}
