import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";

/*
 * The close benchmark's data, set-based (generate_series), deterministic from the sizes alone:
 *
 *   creators  ids 1..C, five things each (thing x belongs to creator ⌈x/5⌉)
 *   payers    ids C+1..C+P, a budget of 2.00–9.99 each; 95 % funded with one deposit entry each
 *             (1.00–12.00, so below, at and above the budget), 5 % never funded (they pay nothing)
 *   flattrs   payer i flattrs n = 1..19 distinct things (10 on average, exactly 10·P in all) in
 *             PERIOD; every 50th payer also has a withdrawn flattr (the close must skip it).
 *             Things are picked with stride 7, so from different creators, except that every
 *             4th payer's second flattr is the thing next to the first, mostly of the same
 *             creator (then one posting carries both shares).
 *
 * Deposits go in through the ledger like any entry — one INSERT … SELECT into ledger_entries and
 * ledger_postings, so the balance trigger books the wallets and the commit-time check verifies
 * every entry — with the payload hash src/ledger/payload.ts would compute.
 */

export const PERIOD = "2026-01";
/** Well after PERIOD ended: the close's clock. */
export const CLOSE_AT = "2026-03-01T12:00:00Z";
export const CURRENCY = "EUR";
export const FEE_BP = 1000;

export interface Sizes {
  payers: number;
  creators: number;
  things: number;
  flattrs: number;
}

export function sizesFor(scale: number): Sizes {
  // Multiples of 20 payers keep the flattr count at exactly ten per payer.
  const payers = Math.max(20, Math.round((100_000 * scale) / 20) * 20);
  // At least 26 creators (130 things) keep a payer's 19 picks (offsets up to 126) distinct.
  const creators = Math.max(26, Math.round(10_000 * scale));
  return { payers, creators, things: creators * 5, flattrs: payers * 10 };
}

/** The seed's formulas, for the independent check of the close's totals. */
export const seedBudget = (u: number): bigint => BigInt(200 + ((u * 7919) % 800));
export const seedBalance = (u: number): bigint =>
  u % 20 === 3 ? 0n : BigInt(100 + ((u * 104729) % 1101));

const STEPS = [
  "users",
  "things",
  "budgets",
  "deposits",
  "flattrs",
  "withdrawn flattrs",
  "seq",
  "seq",
];

export async function seed(
  db: Db,
  s: Sizes,
  onStep: (step: string, ms: number) => void = () => {},
): Promise<void> {
  const C = s.creators;
  const P = s.payers;
  const T = s.things;
  const lastUser = C + P;
  let step = 0;
  const run = async (q: string) => {
    const start = performance.now();
    await db.execute(sql.raw(q));
    onStep(STEPS[step++] ?? "?", performance.now() - start);
  };

  await run(`
    insert into users (id, username, email, password_hash, created_at)
    overriding system value
    select u, case when u <= ${C} then 'creator' else 'payer' end || u,
           'u' || u || '@bench.example', 'x', timestamptz '2025-12-01 00:00:00+00'
    from generate_series(1, ${lastUser}) u`);

  await run(`
    insert into things (id, owner_kind, owner_id, kind, url, url_normalized, title, created_at)
    overriding system value
    select x, 'local', (x - 1) / 5 + 1, 'page',
           'https://c' || ((x - 1) / 5 + 1) || '.bench.example/' || x,
           'https://c' || ((x - 1) / 5 + 1) || '.bench.example/' || x,
           'Thing ' || x, timestamptz '2025-12-01 00:00:00+00'
    from generate_series(1, ${T}) x`);

  await run(`
    insert into budgets (user_id, amount, currency, updated_at)
    select u, 200 + (u::int8 * 7919) % 800, '${CURRENCY}', timestamptz '2025-12-01 00:00:00+00'
    from generate_series(${C + 1}, ${lastUser}) u`);

  // One deposit entry per funded payer; its hash is payloadHash() of exactly these postings
  // (sorted by account: "deposits" < "wallet:…").
  await run(`
    with d as (
      select u, 100 + (u::int8 * 104729) % 1101 as amount
      from generate_series(${C + 1}, ${lastUser}) u where u % 20 <> 3
    ), e as (
      insert into ledger_entries (idempotency_key, kind, period, metadata, payload_hash)
      select 'deposit:bench:' || u, 'deposit', null, '{}'::jsonb,
             encode(sha256(convert_to(
               '{"kind":"deposit","metadata":{},"period":null,"postings":[["deposits","${CURRENCY}","-'
               || amount || '"],["wallet:' || u || '","${CURRENCY}","' || amount || '"]],"reverses":null}',
               'UTF8')), 'hex')
      from d order by u
      returning id, idempotency_key
    )
    insert into ledger_postings (entry_id, account, currency, amount)
    select e.id, p.account, '${CURRENCY}', p.amount
    from e join d on e.idempotency_key = 'deposit:bench:' || d.u
    cross join lateral (values ('deposits', -d.amount), ('wallet:' || d.u, d.amount)) p(account, amount)`);

  // Payer u (i = u - C - 1) flattrs n = 10 - k (k < 10) or k (k ≥ 10) things, k = i mod 20.
  await run(`
    insert into flattrs (thing_id, payer_id, period, created_at)
    select ((u::int8 * 7919 + case when j = 2 and u % 4 = 0 then 1 else (j - 1) * 7 end) % ${T}) + 1,
           u, '${PERIOD}',
           timestamptz '2026-01-01 00:00:00+00' + ((u * 19 + j) % 2678400) * interval '1 second'
    from generate_series(${C + 1}, ${lastUser}) u
    cross join lateral generate_series(1,
      case when (u - ${C + 1}) % 20 < 10 then 10 - (u - ${C + 1}) % 20 else (u - ${C + 1}) % 20 end) j
    order by u, j`);
  // A flattr withdrawn and made again (the active row above): only the active one counts.
  await run(`
    insert into flattrs (thing_id, payer_id, period, created_at, withdrawn_at)
    select ((u::int8 * 7919) % ${T}) + 1, u, '${PERIOD}',
           timestamptz '2026-01-02 00:00:00+00', timestamptz '2026-01-02 00:01:00+00'
    from generate_series(${C + 1}, ${lastUser}) u where u % 50 = 0`);

  for (const t of ["users", "things"])
    await run(`select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`);
}

/** Settles the tables after the bulk load, as autovacuum would before any close runs. */
export async function vacuumAnalyze(db: Db): Promise<void> {
  await db.execute(sql.raw("vacuum analyze"));
}
