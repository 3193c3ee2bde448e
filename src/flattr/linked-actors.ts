import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { DomainError } from "../errors.ts";
import { currentPeriod } from "./current-period.ts";
import { periodLock } from "./period-lock.ts";

export const LINK_ERROR_CODES = [
  "user_not_found",
  "actor_not_found",
  "actor_linked_elsewhere",
] as const;
export type LinkErrorCode = (typeof LINK_ERROR_CODES)[number];

/** Why linking a remote account to a local user was refused (nothing was changed). */
export class LinkError extends DomainError<LinkErrorCode> {
  constructor(code: LinkErrorCode, message: string) {
    super(code, message);
    this.name = "LinkError";
  }
}

export interface LinkResult {
  /** False when the account was already linked to this user (nothing changed). */
  linked: boolean;
  /** Ids of the user's flattrs of the account's things that the link withdrew. */
  withdrawn: number[];
}

/** Takes the period's gate (ADR 0002): null while open, else why it is not. */
async function gate(tx: Db, period: string): Promise<string | null> {
  const { lockClass, periodKey } = periodLock(period);
  const [row] = await queryRows<{ gate: string | null }>(
    tx,
    sql`select flattr_period_gate(${lockClass}::int4, ${periodKey}::int4, ${period}::text) as gate`,
  );
  return row?.gate ?? null;
}

/** Periods in which the user has active flattrs of the actor's things. */
async function activePeriods(tx: Db, userId: number, remoteActorId: bigint): Promise<string[]> {
  const rows = await queryRows<{ period: string }>(
    tx,
    sql`select distinct f.period from flattrs f join things t on t.id = f.thing_id
        where f.payer_id = ${userId}::int8 and f.withdrawn_at is null
          and t.remote_owner_id = ${remoteActorId}::int8
        order by 1`,
  );
  return rows.map((r) => r.period);
}

/**
 * Links a remote fediverse account to a local user: the door the claims of the settlement issue
 * call once the user has proven the account theirs. From then on flattring its things is
 * flattring oneself (flattr_thing refuses with own_thing), and in the same transaction the user's
 * active flattrs of its things in periods that are still open are withdrawn (reason own_thing),
 * each with its `Undo` queued for the relay. Flattrs of sealed periods stay: they were paid.
 *
 * Races: the user's link lock (flattr_link_lock, exclusive here, shared in flattr_thing) makes a
 * concurrent flattr either commit before the withdrawal reads (and be withdrawn) or see the link
 * (and be refused). Period gates are taken before the link lock, the order flattr_thing takes
 * them in.
 */
export async function linkRemoteActor(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
  remoteActorId: bigint,
): Promise<LinkResult> {
  const now = clock.now();
  return db.transaction(async (tx) => {
    const [user] = await queryRows(tx, sql`select 1 as x from users where id = ${userId}::int8`);
    if (!user) throw new LinkError("user_not_found", "No such user.");
    const [actor] = await queryRows(
      tx,
      sql`select 1 as x from remote_actors where id = ${remoteActorId}::int8`,
    );
    if (!actor) throw new LinkError("actor_not_found", "No such remote account.");

    const open = new Set<string>();
    const gated = new Set<string>();
    const take = async (period: string) => {
      if (gated.has(period)) return;
      gated.add(period);
      if ((await gate(tx as Db, period)) === null) open.add(period);
    };
    const before = [
      ...new Set([
        ...(await activePeriods(tx as Db, userId, remoteActorId)),
        currentPeriod(clock, config, now),
      ]),
    ].sort();
    for (const period of before) await take(period);

    await tx.execute(sql`select flattr_link_lock(${userId}::int8, true)`);
    const [existing] = await queryRows<{ user_id: string }>(
      tx,
      sql`select user_id::text from linked_actors where remote_actor_id = ${remoteActorId}::int8`,
    );
    if (existing && Number(existing.user_id) !== userId)
      throw new LinkError(
        "actor_linked_elsewhere",
        "This remote account is already linked to another user.",
      );
    if (!existing)
      await tx.execute(
        sql`insert into linked_actors (remote_actor_id, user_id, linked_at)
            values (${remoteActorId}::int8, ${userId}::int8, ${now.toISOString()}::timestamptz)`,
      );

    // A flattr that committed in a period not seen above (a lagging clock) is gated now.
    for (const period of await activePeriods(tx as Db, userId, remoteActorId)) await take(period);
    const periods = [...open];
    const withdrawn =
      periods.length === 0
        ? []
        : await queryRows<{ id: string }>(
            tx,
            sql`with w as (
                  update flattrs f set withdrawn_at = ${now.toISOString()}::timestamptz,
                                       withdrawn_reason = 'own_thing'
                  from things t
                  where t.id = f.thing_id and t.remote_owner_id = ${remoteActorId}::int8
                    and f.payer_id = ${userId}::int8 and f.withdrawn_at is null
                    and f.period in (select json_array_elements_text(${JSON.stringify(periods)}::json))
                  returning f.id
                ),
                e as (insert into outbox_events (kind, flattr_id) select 'undo', id from w)
                select id::text from w order by id`,
          );
    if (withdrawn.length > 0)
      await tx.execute(sql`select pg_notify('fediflattr_outbox_events', '')`);
    return { linked: !existing, withdrawn: withdrawn.map((r) => Number(r.id)) };
  });
}
