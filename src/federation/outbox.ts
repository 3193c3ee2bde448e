import type { Context, Federation } from "@fedify/fedify";
import type { Db } from "../db/client.ts";
import type { FederationData } from "./federation.ts";

/**
 * The transaction that queue enqueues (and KV reads/writes) go through while code runs inside
 * `run(tx, fn)`. The DB queue's TransactionScope (src/federation/message-queue.ts) has this shape.
 */
export interface TransactionScopeLike {
  run<T>(tx: Db, fn: () => Promise<T>): Promise<T>;
  current(): Db | undefined;
}

// Which scope belongs to which federation: Fedify hands callbacks a Context, whose `federation`
// is the key. A side table, not state: each federation registers itself once when built.
const scopes = new WeakMap<Federation<FederationData>, TransactionScopeLike>();

export function attachTransactionScope(
  federation: Federation<FederationData>,
  scope: TransactionScopeLike,
): void {
  scopes.set(federation, scope);
}

/**
 * The database a Fedify callback must use: the open transaction of `withOutbox` if the callback
 * runs inside one (on PGlite, touching the base database then would wait forever), else the base.
 */
export function dbOf(ctx: Context<FederationData>): Db {
  return scopes.get(ctx.federation)?.current() ?? ctx.data.database.db;
}

/**
 * The transactional outbox: runs `fn` in a database transaction in which `ctx.sendActivity()`
 * enqueues its deliveries, so they exist exactly if the domain write commits. Nested calls join
 * the open transaction. Do network I/O (lookups, fetches) before, not inside.
 */
export async function withOutbox<T>(
  ctx: Context<FederationData>,
  fn: (tx: Db) => Promise<T>,
): Promise<T> {
  const scope = scopes.get(ctx.federation);
  const open = scope?.current();
  if (open) return fn(open);
  return ctx.data.database.db.transaction(async (tx) =>
    scope ? scope.run(tx as Db, () => fn(tx as Db)) : fn(tx as Db),
  );
}

/**
 * Runs `fn` with `tx` as the outbox transaction: `ctx.sendActivity()` inside it enqueues in `tx`.
 * For adapters the domain calls from inside its own transaction (src/federation/social.ts).
 */
export async function inOutbox<T>(
  ctx: Context<FederationData>,
  tx: Db,
  fn: () => Promise<T>,
): Promise<T> {
  const scope = scopes.get(ctx.federation);
  return scope ? scope.run(tx, fn) : fn();
}
