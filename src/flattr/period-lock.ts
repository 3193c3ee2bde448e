import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { FlattrError } from "./errors.ts";

/*
 * The close-vs-flattr protocol (docs/adr/0002-close-vs-flattr-race.md). Every write to a period's
 * flattrs holds a SHARED transaction-level advisory lock on the period and then checks
 * closed_periods; the close seals a period under the EXCLUSIVE lock. Once the seal commits, every
 * transaction that could still add or withdraw a flattr of the period has either committed (and is
 * in the close's snapshot) or will see the seal and refuse. Callers must run in READ COMMITTED, so
 * the check after the lock reads a fresh snapshot.
 */

/** Advisory-lock namespace "fper"; the object id is the period as yyyymm. */
const PERIOD_LOCK_CLASS = 0x66706572;

function periodKey(period: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) throw new RangeError(`not a period: ${period}`);
  return Number(m[1]) * 100 + Number(m[2]);
}

/** Inside a transaction: no close can seal `period` until this transaction ends. */
export async function lockPeriodShared(tx: Db, period: string): Promise<void> {
  await tx.execute(
    sql`select pg_advisory_xact_lock_shared(${PERIOD_LOCK_CLASS}::int4, ${periodKey(period)}::int4)`,
  );
}

/** Inside a transaction: waits until no flattr transaction of `period` is in flight. */
export async function lockPeriodExclusive(tx: Db, period: string): Promise<void> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(${PERIOD_LOCK_CLASS}::int4, ${periodKey(period)}::int4)`,
  );
}

/** After lockPeriodShared: refuses when the period is sealed (being closed) or closed. */
export async function assertPeriodOpen(tx: Db, period: string): Promise<void> {
  const rows = await queryRows<{ closed: boolean }>(
    tx,
    sql`select closed_at is not null as closed from closed_periods where period = ${period}`,
  );
  const row = rows[0];
  if (!row) return;
  throw new FlattrError(
    "period_closed",
    row.closed
      ? `The period ${period} is closed and has been paid out; flattrs for it can no longer be changed.`
      : `The period ${period} is being closed right now; flattrs for it can no longer be changed.`,
  );
}
