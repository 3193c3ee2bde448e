import { sql } from "drizzle-orm";
import type { Config } from "../../src/config/config.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import { DEPOSITS, postEntry, walletAccount } from "../../src/ledger/index.ts";

let seq = 0;
const CREATED_AT = "2000-01-01T00:00:00Z";

/**
 * A user row without the (slow, irrelevant here) password hashing of the accounts module. Made
 * in 2000, so that any month a test uses is after the account existed (statements show months
 * before an account as empty).
 */
export async function makeUser(db: Db, name?: string): Promise<number> {
  const username = name ?? `u${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into users (username, email, password_hash, created_at)
        values (${username}, ${`${username}@example.test`}, 'x', ${CREATED_AT}::timestamptz)
        returning id::text`,
  );
  return Number(row!.id);
}

/** Many users at once (set-based), returning their ids in order. */
export async function makeUsers(db: Db, n: number, prefix = "bulk"): Promise<number[]> {
  const tag = `${prefix}${++seq}_${Math.random().toString(36).slice(2, 6)}`;
  const rows = await queryRows<{ id: string }>(
    db,
    sql`insert into users (username, email, password_hash, created_at)
        select ${tag} || '_' || g, ${tag} || '_' || g || '@example.test', 'x',
               ${CREATED_AT}::timestamptz
        from generate_series(1, ${n}::int4) g order by g returning id::text`,
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** Money into a wallet through the ledger, as an admin-recorded bank transfer would. */
export async function deposit(
  db: Db,
  config: Config,
  userId: number,
  amount: bigint,
  ref?: string,
) {
  return postEntry(db, {
    idempotencyKey: `deposit:${ref ?? `${userId}:${++seq}:${Math.random()}`}`,
    kind: "deposit",
    postings: [
      { account: DEPOSITS, currency: config.currency, amount: -amount },
      { account: walletAccount(userId), currency: config.currency, amount },
    ],
  });
}

/**
 * Bulk state for close tests, set-based: `payers` users with budgets, one deposit entry funding
 * their wallets, `creators` users with `thingsPerCreator` pages, and flattrs in `period` (payer i
 * flattrs 1 + i mod maxFlattrs distinct things). Bypasses the flattr rules on purpose (speed); the
 * close only reads the rows.
 */
export async function seedPeriod(
  db: Db,
  config: Config,
  opts: {
    period: string;
    createdAt: string;
    payers: number;
    creators?: number;
    thingsPerCreator?: number;
    maxFlattrs?: number;
  },
): Promise<{ payers: number[]; creators: number[] }> {
  const creators = await makeUsers(db, opts.creators ?? 20, "creator");
  const payers = await makeUsers(db, opts.payers, "payer");
  const per = opts.thingsPerCreator ?? 5;
  const maxFlattrs = opts.maxFlattrs ?? 7;
  await db.execute(
    sql`insert into things (owner_id, kind, url, url_normalized, title, created_at)
        select c, 'page', 'https://seed.example/' || c || '/' || j, 'https://seed.example/' || c || '/' || j,
               'seed ' || j, ${opts.createdAt}::timestamptz
        from unnest(${sql.raw(`ARRAY[${creators.join(",")}]::int8[]`)}) c, generate_series(1, ${per}::int4) j`,
  );
  // Budgets 2.00–9.99, balances from 0 to 12.00: below, at and above the budget.
  await db.execute(
    sql`insert into budgets (user_id, amount, currency, updated_at)
        select u, 200 + (u * 7919) % 800, ${config.currency}, ${opts.createdAt}::timestamptz
        from unnest(${sql.raw(`ARRAY[${payers.join(",")}]::int8[]`)}) u`,
  );
  const postings = payers
    .map((u) => ({ u, amount: BigInt((u * 104729) % 1201) }))
    .filter((p) => p.amount > 0n)
    .map((p) => ({ account: walletAccount(p.u), currency: config.currency, amount: p.amount }));
  const total = postings.reduce((s, p) => s + p.amount, 0n);
  if (total > 0n)
    await postEntry(db, {
      idempotencyKey: `deposit:seed:${payers[0]}:${payers.length}`,
      kind: "deposit",
      postings: [{ account: DEPOSITS, currency: config.currency, amount: -total }, ...postings],
    });
  await db.execute(
    sql`insert into flattrs (thing_id, payer_id, period, created_at)
        select t.id, u, ${opts.period}, ${opts.createdAt}::timestamptz
        from unnest(${sql.raw(`ARRAY[${payers.join(",")}]::int8[]`)}) u
        cross join lateral (
          select id from things where url like 'https://seed.example/%'
            and owner_id = any(${sql.raw(`ARRAY[${creators.join(",")}]::int8[]`)})
          order by (id * 31 + u * 17) % 1009, id
          limit 1 + (u % ${maxFlattrs}::int4)
        ) t`,
  );
  return { payers, creators };
}
