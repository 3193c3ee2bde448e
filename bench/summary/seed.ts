import { sql } from "drizzle-orm";
import type { Config } from "../../src/config/config.ts";
import { actorUrl, instanceActorUrl, likeUrl } from "../../src/config/urls.ts";
import type { Db } from "../../src/db/client.ts";

/*
 * The big summary's data (issue 10 point 11), set-based (generate_series), deterministic from the
 * sizes alone, on two instances: A, where payers flattr, and B, where the creators are.
 *
 *   B   creators c1..cN (user ids 1..N), one post each (thing i, kind note, owned by user i)
 *   A   payers p1..pP (user ids 1..P), each with a budget of 10.00 and a wallet funded for every
 *       period by one deposit entry; the N posts of B as remote things of N cached remote actors
 *   in each period k (1..K): creator i is flattred once, by payer ((i − 1) mod P) + 1, so each
 *       payer flattrs N/P posts a month and each period's summary A → B has N lines of one Like
 *   B   has received each of those Likes (incoming_flattrs, as the inbox stores them) from the
 *       payers cached as remote actors
 *
 * Like ids are md5(k:i): random-looking like the real ones, but both sides can compute them.
 */

export interface SummarySizes {
  creators: number;
  payers: number;
  periods: number;
}

export const BUDGET = 1000n;
export const FIRST_PERIOD_YEAR = 2026;

/** Period k (1-based) as "YYYY-MM": 2026-01, 2026-02, … */
export function periodOf(k: number): string {
  const y = FIRST_PERIOD_YEAR + Math.floor((k - 1) / 12);
  return `${y}-${String(((k - 1) % 12) + 1).padStart(2, "0")}`;
}

const hostOf = (origin: string | URL) => new URL(origin).host;

async function run(db: Db, q: ReturnType<typeof sql>): Promise<void> {
  await db.execute(q);
}

/** The payer instance's side. */
export async function seedPayers(db: Db, a: Config, b: Config, s: SummarySizes): Promise<void> {
  const { creators: N, payers: P, periods: K } = s;
  const bHost = hostOf(b.origin);
  const cur = a.currency;
  await run(
    db,
    sql`insert into users (id, username, email, password_hash, created_at)
        overriding system value
        select u, 'p' || u, 'p' || u || '@bench.example', 'x', timestamptz '2025-12-01 00:00:00+00'
        from generate_series(1, ${P}::int4) u`,
  );
  await run(db, sql`select setval(pg_get_serial_sequence('users', 'id'), ${P}::int8)`);
  await run(
    db,
    sql`insert into budgets (user_id, amount, currency, updated_at)
        select u, ${BUDGET.toString()}::int8, ${cur}, timestamptz '2025-12-01 00:00:00+00'
        from generate_series(1, ${P}::int4) u`,
  );
  // One deposit per payer covering every period's budget, with the payload hash
  // src/ledger/payload.ts computes (postings sorted by account: "deposits" < "wallet:…").
  const amount = (BUDGET * BigInt(K)).toString();
  await run(
    db,
    sql`with e as (
          insert into ledger_entries (idempotency_key, kind, period, metadata, payload_hash)
          select 'deposit:bench:' || u, 'deposit', null, '{}'::jsonb,
                 encode(sha256(convert_to(
                   '{"kind":"deposit","metadata":{},"period":null,"postings":[["deposits","'
                   || ${cur}::text || '","-' || ${amount}::text || '"],["wallet:' || u || '","'
                   || ${cur}::text || '","' || ${amount}::text || '"]],"reverses":null}',
                   'UTF8')), 'hex')
          from generate_series(1, ${P}::int4) u order by u
          returning id, idempotency_key)
        insert into ledger_postings (entry_id, account, currency, amount)
        select e.id, p.account, ${cur}, p.amount
        from e cross join lateral (values
          ('deposits', -${amount}::int8),
          ('wallet:' || substr(e.idempotency_key, 15), ${amount}::int8)) p(account, amount)`,
  );
  const creatorPrefix = actorUrl(b, "");
  await run(
    db,
    sql`insert into remote_actors (id, uri, host, type, name, inbox_url, fetched_at)
        select i, ${creatorPrefix} || 'c' || i, ${bHost}, 'Person', 'Creator ' || i,
               ${creatorPrefix} || 'c' || i || '/inbox', now()
        from generate_series(1, ${N}::int4) i`,
  );
  await run(
    db,
    sql`insert into things (id, owner_kind, remote_owner_id, kind, url, url_normalized, object_uri,
                            title, created_at)
        overriding system value
        select i, 'remote', i, 'note', ${creatorPrefix} || 'c' || i || '/posts/1',
               ${creatorPrefix} || 'c' || i || '/posts/1', ${creatorPrefix} || 'c' || i || '/posts/1',
               'Post ' || i, timestamptz '2025-12-01 00:00:00+00'
        from generate_series(1, ${N}::int4) i`,
  );
  await run(db, sql`select setval(pg_get_serial_sequence('things', 'id'), ${N}::int8)`);
  for (let k = 1; k <= K; k++)
    await run(
      db,
      sql`insert into flattrs (thing_id, payer_id, period, created_at, like_id)
          select i, ((i - 1) % ${P}::int4) + 1, ${periodOf(k)},
                 ${`${periodOf(k)}-02T00:00:00Z`}::timestamptz + (i % 86400) * interval '1 second',
                 md5(${k}::int4 || ':' || i)
          from generate_series(1, ${N}::int4) i`,
    );
  await analyze(db, ["users", "budgets", "remote_actors", "things", "flattrs"]);
}

/**
 * Statistics for the seeded tables, as autovacuum would have them. Only those: analyzing the
 * empty ledger_balances would tell the planner it stays empty, and the ledger's posting trigger
 * would then scan every balance per account of a 100,000-posting statement (measured: 151 s for
 * 20,000 postings) — a state a real instance reaches only if someone analyzes an empty ledger.
 */
async function analyze(db: Db, tables: string[]): Promise<void> {
  for (const t of tables) await db.execute(sql.raw(`analyze ${t}`));
}

/** The creators' instance's side, with the Likes it received from A. */
export async function seedCreators(db: Db, a: Config, b: Config, s: SummarySizes): Promise<void> {
  const { creators: N, payers: P, periods: K } = s;
  const aHost = hostOf(a.origin);
  const creatorPrefix = actorUrl(b, "");
  const payerPrefix = actorUrl(a, "");
  await run(
    db,
    sql`insert into users (id, username, email, password_hash, created_at)
        overriding system value
        select i, 'c' || i, 'c' || i || '@bench.example', 'x', timestamptz '2025-12-01 00:00:00+00'
        from generate_series(1, ${N}::int4) i`,
  );
  await run(db, sql`select setval(pg_get_serial_sequence('users', 'id'), ${N}::int8)`);
  await run(
    db,
    sql`insert into things (id, owner_kind, owner_id, kind, url, url_normalized, object_uri,
                            title, created_at)
        overriding system value
        select i, 'local', i, 'note', ${creatorPrefix} || 'c' || i || '/posts/1',
               ${creatorPrefix} || 'c' || i || '/posts/1', ${creatorPrefix} || 'c' || i || '/posts/1',
               'Post ' || i, timestamptz '2025-12-01 00:00:00+00'
        from generate_series(1, ${N}::int4) i`,
  );
  await run(db, sql`select setval(pg_get_serial_sequence('things', 'id'), ${N}::int8)`);
  await run(
    db,
    sql`insert into remote_actors (id, uri, host, type, name, inbox_url, fetched_at)
        select u, ${payerPrefix} || 'p' || u, ${aHost}, 'Person', 'Payer ' || u,
               ${payerPrefix} || 'p' || u || '/inbox', now()
        from generate_series(1, ${P}::int4) u`,
  );
  const likePrefix = likeUrl(a, "");
  for (let k = 1; k <= K; k++)
    await run(
      db,
      sql`insert into incoming_flattrs (activity_id, peer_host, remote_actor_id, thing_id, period,
                                        currency, payer_instance, protocol_version, received_at)
          select ${likePrefix} || md5(${k}::int4 || ':' || i), ${aHost}, ((i - 1) % ${P}::int4) + 1,
                 i, ${periodOf(k)}, ${a.currency}, ${instanceActorUrl(a)}, '1',
                 ${`${periodOf(k)}-02T00:00:00Z`}::timestamptz + (i % 86400) * interval '1 second'
          from generate_series(1, ${N}::int4) i`,
    );
  await analyze(db, ["users", "things", "remote_actors", "incoming_flattrs"]);
}
