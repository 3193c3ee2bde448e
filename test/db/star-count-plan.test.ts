// star_count() (src/db/sql/star-functions.sql) counts a thing's stars on every favourite. Its plan
// is made once per connection and kept (PL/pgSQL), from the statistics of that moment. With
// `flattrs` analyzed while empty (a new instance, or any server without autovacuum) and a few
// hundred rows in it, the count used to be planned as a full scan of the partial index
// `flattrs_period_payer`, filtered on the thing, because the planner's default estimate for
// `withdrawn_at IS NULL` (0.5 %) made every partial index on it look nearly empty; the scan then
// grew with the table for the rest of that connection's life (docs/adr/0037). This test walks the
// table through that window and reads the plan each count gets, by auto_explain's nested plans
// sent to the client as notices. PostgreSQL only: PGlite has no auto_explain to load.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createPostgresDatabaseUrl, usingPostgres } from "../helpers/db.ts";

describe.skipIf(!usingPostgres)("star_count's plan on a table analyzed while empty", () => {
  let drop: () => Promise<void>;
  let conn: postgres.Sql;
  const notices: string[] = [];

  beforeAll(async () => {
    const made = await createPostgresDatabaseUrl();
    drop = made.drop;
    const database = openPostgres(made.url, { max: 1 });
    try {
      await migrate(database);
    } finally {
      await database.close();
    }
    conn = postgres(made.url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
    await conn.unsafe(`
      insert into users (id, username, email, password_hash) overriding system value
      select u, 'u' || u, 'u' || u || '@example.org', 'x' from generate_series(1, 1000) u;
      insert into things (id, owner_kind, owner_id, kind, url, url_normalized, title, created_at)
      overriding system value
      select x, 'local', 1, 'page', 'https://t' || x || '.example/', 'https://t' || x || '.example/',
             'Thing ' || x, now()
      from generate_series(1, 200) x;
      analyze;`);
  });
  afterAll(async () => {
    await conn?.end();
    await drop?.();
  });

  it("counts by the thing's index at every size, never scanning a whole index", async () => {
    await conn.unsafe("load 'auto_explain'");
    await conn.unsafe(`set auto_explain.log_min_duration = 0;
      set auto_explain.log_nested_statements = on;
      set auto_explain.log_level = notice;
      set plan_cache_mode = force_generic_plan`);
    const seen = new Set<number>();
    for (let rows = 0; rows <= 600; rows += 20) {
      if (rows > 0)
        await conn.unsafe(`
          insert into flattrs (thing_id, payer_id, period, created_at)
          select (g % 200) + 1, 2 + g / 200, '2026-03', now()
          from generate_series(${rows - 20}, ${rows - 1}) g`);
      // A fresh plan for star_count, as a new connection would make it.
      await conn.unsafe("discard plans");
      notices.length = 0;
      const [r] = await conn.unsafe("select star_count(7) as n");
      expect(Number(r!.n)).toBe(countFor(7, rows));
      const plans = notices.filter((n) => n.includes("count(*)")).join("\n");
      expect(plans, `plan at ${rows} rows`).toMatch(/Index Cond: \(thing_id = /);
      // A scan whose thing is only a filter reads every row its index holds.
      expect(plans, `plan at ${rows} rows`).not.toMatch(/Filter: \(thing_id = /);
      seen.add(rows);
    }
    expect(seen.size).toBe(31);
  });
});

/** Rows 0..n-1 go to thing (g % 200) + 1: how many went to `thing`. */
function countFor(thing: number, n: number): number {
  let c = 0;
  for (let g = 0; g < n; g++) if ((g % 200) + 1 === thing) c++;
  return c;
}
