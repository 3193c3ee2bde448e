import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";

/*
 * The API benchmark's data: C creators with five things each, P payers with a budget and a
 * personal access token (read+write). Tokens are derived from a per-run nonce, so the load
 * generator and the server process (which seeds PGlite itself) agree on them without passing
 * 20,000 secrets around; only their SHA-256 is stored, as src/accounts/tokens.ts does.
 * last_used_at is left empty: every payer's first request in the run also records the token's
 * use, as it would for people who flattr once in a while.
 */

export interface ApiSizes {
  payers: number;
  creators: number;
  things: number;
}

export function apiSizesFor(scale: number): ApiSizes {
  const creators = Math.max(10, Math.round(1000 * scale));
  return { payers: Math.max(100, Math.round(20_000 * scale)), creators, things: creators * 5 };
}

/** ffpat_ + 43 base64url characters, the format verifyToken accepts. */
export function benchToken(nonce: string, userId: number): string {
  return `ffpat_${createHash("sha256").update(`${nonce}:${userId}`).digest("base64url")}`;
}

export const payerId = (s: ApiSizes, i: number): number => s.creators + 1 + (i % s.payers);

/**
 * Request k: payer k mod P flattrs its (k div P)-th thing; consecutive requests come from
 * different payers (no payer near the flattr rate limit) and no (payer, thing) pair repeats
 * before P × T requests.
 */
export function requestFor(s: ApiSizes, k: number): { payer: number; thing: number } {
  const payer = payerId(s, k);
  const j = Math.floor(k / s.payers);
  return { payer, thing: ((payer * 7919 + j * 7) % s.things) + 1 };
}

export async function seedApi(db: Db, s: ApiSizes, nonce: string): Promise<void> {
  const C = s.creators;
  const last = C + s.payers;
  const run = (q: string) => db.execute(sql.raw(q));
  await run(`
    insert into users (id, username, email, password_hash)
    overriding system value
    select u, case when u <= ${C} then 'creator' else 'payer' end || u, 'u' || u || '@bench.example', 'x'
    from generate_series(1, ${last}) u`);
  await run(`
    insert into things (id, owner_kind, owner_id, kind, url, url_normalized, title, created_at)
    overriding system value
    select x, 'local', (x - 1) / 5 + 1, 'page', 'https://c' || x || '.bench.example/',
           'https://c' || x || '.bench.example/', 'Thing ' || x, now()
    from generate_series(1, ${s.things}) x`);
  await run(`
    insert into budgets (user_id, amount, currency, updated_at)
    select u, 500, 'EUR', now() from generate_series(${C + 1}, ${last}) u`);
  const ids: number[] = [];
  const hashes: string[] = [];
  for (let u = C + 1; u <= last; u++) {
    ids.push(u);
    hashes.push(createHash("sha256").update(benchToken(nonce, u)).digest("hex"));
  }
  await db.execute(
    sql`insert into access_tokens (user_id, name, token_hash, scopes, created_at)
        select u, 'bench', h, array['read', 'write'], now()
        from unnest(${`{${ids.join(",")}}`}::int8[], ${`{${hashes.join(",")}}`}::text[]) t(u, h)`,
  );
  for (const t of ["users", "things"])
    await run(`select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`);
  await run("analyze");
}

/** The baseline's table: one row per request, nothing else. */
export const BASELINE_TABLE = `
  create table if not exists bench_flattrs (
    id bigint generated always as identity primary key,
    thing_id bigint not null,
    token text not null,
    created_at timestamptz not null default now()
  )`;
