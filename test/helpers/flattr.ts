import { sql } from "drizzle-orm";
import type { Config } from "../../src/config/config.ts";
import { type Db, queryRows } from "../../src/db/client.ts";
import { DEPOSITS, postEntry, walletAccount } from "../../src/ledger/index.ts";

let seq = 0;

/** A user row without the (slow, irrelevant here) password hashing of the accounts module. */
export async function makeUser(db: Db, name?: string): Promise<number> {
  const username = name ?? `u${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into users (username, email, password_hash)
        values (${username}, ${`${username}@example.test`}, 'x') returning id::text`,
  );
  return Number(row!.id);
}

/** Many users at once (set-based), returning their ids in order. */
export async function makeUsers(db: Db, n: number, prefix = "bulk"): Promise<number[]> {
  const tag = `${prefix}${++seq}_${Math.random().toString(36).slice(2, 6)}`;
  const rows = await queryRows<{ id: string }>(
    db,
    sql`insert into users (username, email, password_hash)
        select ${tag} || '_' || g, ${tag} || '_' || g || '@example.test', 'x'
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
