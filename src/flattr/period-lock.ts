import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { FlattrError } from "./errors.ts";

/*
 * The close-vs-flattr protocol (docs/adr/0002-close-vs-flattr-race.md). Every write to a period's
 * flattrs holds a SHARED transaction-level advisory lock on the period and then checks
 * closed_periods; the close seals a period under the EXCLUSIVE lock. Once the seal commits, every
 * transaction that could still add or withdraw a flattr of the period has either committed (and is
 * in the close's snapshot) or will see the seal and refuse. The shared side runs inside the
 * database functions flattr_thing / unflattr_thing (src/db/sql/flattr-functions.sql), which take
 * their lock from periodLock() below, so both sides lock the very same key. They must run in
 * READ COMMITTED, so the check after the lock reads a fresh snapshot (the functions refuse
 * otherwise).
 */

/** Advisory-lock namespace "fper"; the object id is the period as yyyymm. */
const PERIOD_LOCK_CLASS = 0x66706572;

function periodKey(period: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) throw new RangeError(`not a period: ${period}`);
  return Number(m[1]) * 100 + Number(m[2]);
}

/** The two int4 keys of the period's advisory lock (for the database functions that take it). */
export function periodLock(period: string): { lockClass: number; periodKey: number } {
  return { lockClass: PERIOD_LOCK_CLASS, periodKey: periodKey(period) };
}

/** Inside a transaction: waits until no flattr transaction of `period` is in flight. */
export async function lockPeriodExclusive(tx: Db, period: string): Promise<void> {
  const { lockClass, periodKey } = periodLock(period);
  await tx.execute(sql`select pg_advisory_xact_lock(${lockClass}::int4, ${periodKey}::int4)`);
}

/** The refusal for a write into a sealed period: `closed` once it has been paid out. */
export function periodClosedError(period: string, closed: boolean): FlattrError {
  return new FlattrError(
    "period_closed",
    closed
      ? `The period ${period} is closed and has been paid out; flattrs for it can no longer be changed.`
      : `The period ${period} is being closed right now; flattrs for it can no longer be changed.`,
  );
}
