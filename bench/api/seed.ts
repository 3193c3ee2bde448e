import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";

/*
 * The API benchmark's data: C creators with five things each, P payers with a budget and a
 * personal access token (read+write). Tokens are derived from a per-run nonce, so the load
 * generator and the server process (which seeds PGlite itself) agree on them without passing
 * 20,000 secrets around; only their SHA-256 is stored, as src/accounts/tokens.ts does.
 * last_used_at is left empty: every payer's first request in the run also records the token's
 * use, as it would for people who flattr once in a while. `tokensInUse` stamps them at seeding
 * instead, as for apps that keep flattring (a token is stamped at most once a minute): the run
 * then measures the flattr without the stamp's write.
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

/** The Mastodon benchmark's statuses: thing x is the local post with this time-sorted id. */
const STATUS_EPOCH_MS = 1767225600000n; // 2026-01-01
export const statusIdFor = (thing: number): bigint => (STATUS_EPOCH_MS + BigInt(thing)) << 16n;

/**
 * `mastodon`: every thing is a local post (a status with its Note id), and the tokens belong to
 * one OAuth app, as a Mastodon app's tokens do (so a favourite records its app).
 */
export async function seedApi(
  db: Db,
  s: ApiSizes,
  nonce: string,
  options: { mastodon?: boolean; tokensInUse?: boolean } = {},
): Promise<void> {
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
  if (options.mastodon) {
    await run(`update things set kind = 'note', object_uri = 'https://bench.example/notes/' || id`);
    await run(`
      insert into statuses (id, uri, url, user_id, content_source, content_html, visibility,
                            published_at, thing_id)
      select ((${STATUS_EPOCH_MS} + x) << 16), 'https://bench.example/notes/' || x,
             'https://bench.example/notes/' || x, (x - 1) / 5 + 1, 'Post ' || x,
             '<p>Post ' || x || '</p>', 'public', now(), x
      from generate_series(1, ${s.things}) x`);
    await run(`
      insert into oauth_apps (id, client_id, client_secret_hash, name, redirect_uris, scopes, created_at)
      overriding system value
      values (1, 'bench', 'x', 'Bench app', array['urn:ietf:wg:oauth:2.0:oob'], array['read', 'write'], now())`);
  }
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
    sql`insert into access_tokens (user_id, app_id, name, token_hash, scopes, created_at, last_used_at)
        select u, ${options.mastodon ? 1 : null}::int8, 'bench', h, array['read', 'write'], now(),
               ${options.tokensInUse ? sql`now()` : sql`null`}
        from unnest(${`{${ids.join(",")}}`}::int8[], ${`{${hashes.join(",")}}`}::text[]) t(u, h)`,
  );
  for (const t of options.mastodon ? ["users", "things", "oauth_apps"] : ["users", "things"])
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
