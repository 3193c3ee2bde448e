import { type Placeholder, type SQL, sql } from "drizzle-orm";
import type { Db, DrizzleInternals } from "./client.ts";

/*
 * A hot statement (the flattr's and the star's, sent once per request or batch): its SQL text is
 * built once, with a placeholder for each value, and its prepared query is kept per database, so
 * that a call only binds its values. Built per call, drizzle walked the statement's chunks and
 * joined a new text of up to ~3 kB every time, and postgres.js then hashed that new string to find
 * its prepared statement (the same string object keeps its hash). Built once, the server's CPU
 * per request fell by about 60 µs for a star and 45 for a REST flattr, one request at a time
 * (bench/mastodon/js-cost.ts, docs/adr/0040).
 */

type PreparedQuery = ReturnType<DrizzleInternals["session"]["prepareQuery"]>;

/** The placeholder of value `key` in a hot statement's SQL. */
export type Slot<V> = (key: keyof V & string) => Placeholder;

/**
 * A statement named `name` whose values are the fields of `V`: `build` writes its SQL once, with
 * `slot("field")` where each value goes (a value is bound as it is: write the cast, and pass
 * arrays as text literals). The answer runs it on `db` (a database or a transaction) with
 * `values` and answers its rows. PGlite runs it as an ordinary query.
 */
export function hotStatement<T extends Record<string, unknown>, V extends Record<string, unknown>>(
  name: string,
  build: (slot: Slot<V>) => SQL,
): (db: Db, values: V) => Promise<T[]> {
  const query = build((key) => sql.placeholder(key));
  const prepared = new WeakMap<Db, PreparedQuery>();
  return async (db, values) => {
    let q = prepared.get(db);
    if (!q) {
      const d = db as unknown as DrizzleInternals;
      q = d.session.prepareQuery(d.dialect.sqlToQuery(query), undefined, name, false);
      prepared.set(db, q);
    }
    const r = await q.execute(values);
    return (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
  };
}
