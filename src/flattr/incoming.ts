import { type SQL, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { DomainError, ok, type Result, refused } from "../errors.ts";
import { SPOKEN_PROTOCOL_VERSIONS } from "../peers/protocol.ts";
import { nextPeriod, periodOf, previousPeriod } from "../periods/period.ts";

/*
 * Flattrs and favourites other servers send us for our things (docs/PROTOCOL.md). Nothing here
 * moves money: the payer's instance pays an incoming flattr in its own close and settles with us
 * through its summary (issue 10), whose lines name these `Like` ids. Every door is idempotent by
 * activity id, and an `Undo` may come before its `Like`.
 */

export const INCOMING_ERROR_CODES = [
  "wrong_currency",
  "unknown_protocol",
  "payer_instance_mismatch",
  "period_out_of_range",
  "already_flattred",
] as const;
export type IncomingErrorCode = (typeof INCOMING_ERROR_CODES)[number];

/** Why an incoming flattr was refused (nothing was stored); the inbox logs it. */
export class IncomingError extends DomainError<IncomingErrorCode> {
  constructor(code: IncomingErrorCode, message: string) {
    super(code, message);
    this.name = "IncomingError";
  }
}

/** A `Like` with a valid payment extension from a user of a peer, for one of our things. */
export interface IncomingFlattrInput {
  /** The `Like`'s id. */
  activityId: string;
  /** The payer: a cached remote actor (its id and uri). */
  payer: { id: bigint; uri: string; host: string };
  thingId: number;
  period: string;
  currency: string;
  payerInstance: string;
  protocolVersion: string;
}

export type Received =
  /** Stored as an active incoming flattr (or favourite). */
  | "recorded"
  /** Stored withdrawn: its `Undo` had arrived first. */
  | "recorded_withdrawn"
  /** Already stored under this activity id: nothing changed. */
  | "duplicate";

const sameOrigin = (a: string, b: string): boolean => {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
};

/** An `Undo` of this `Like` by the same actor that came first, if any. */
async function tombstone(db: Db, activityId: string, actorUri: string) {
  const [row] = await queryRows<{ undo: string }>(
    db,
    sql`select undo_activity_id as undo from incoming_undos
        where like_activity_id = ${activityId} and actor_uri = ${actorUri}`,
  );
  return row?.undo ?? null;
}

/** Why the flattr is refused before anything is looked up, or null when it may be stored. */
function refusalOf(
  clock: Clock,
  config: Config,
  input: IncomingFlattrFields,
): IncomingError | null {
  if (input.currency !== config.currency)
    return new IncomingError(
      "wrong_currency",
      `The flattr is in ${input.currency}; this instance settles in ${config.currency}.`,
    );
  if (!SPOKEN_PROTOCOL_VERSIONS.includes(input.protocolVersion))
    return new IncomingError(
      "unknown_protocol",
      `Protocol version ${input.protocolVersion} is not one this instance speaks.`,
    );
  if (
    !sameOrigin(input.payerInstance, input.payer.uri) ||
    !sameOrigin(input.activityId, input.payer.uri)
  )
    return new IncomingError(
      "payer_instance_mismatch",
      "The payer instance, the payer and the Like must share one origin.",
    );
  const current = periodOf(clock.now(), "UTC");
  const earliest = previousPeriod(previousPeriod(previousPeriod(current)));
  if (input.period < earliest || input.period > nextPeriod(current))
    return new IncomingError(
      "period_out_of_range",
      `The period ${input.period} is too far from now (${current}) to be flattred.`,
    );
  return null;
}

/** An incoming flattr but its thing. */
type IncomingFlattrFields = Omit<IncomingFlattrInput, "thingId">;

/**
 * The one statement that stores an incoming flattr, given the thing (`thing`: a query of one
 * `id` column, at most one row) and the payer's server (`peer`: a query with a row when it is a
 * peer): both found, it inserts, else it inserts nothing and says so (`resolved` false). An Undo
 * that came first makes the row withdrawn and is consumed; a conflict (same Like, or another
 * active one) inserts nothing.
 */
async function insertIncoming(
  db: Db,
  now: Date,
  input: IncomingFlattrFields,
  thing: SQL,
  peer: SQL,
): Promise<{ resolved: boolean; inserted: boolean; withdrawn: boolean }> {
  const [row] = await queryRows<{ resolved: boolean; inserted: boolean; withdrawn: boolean }>(
    db,
    sql`with thing as (${thing}), peer as (${peer}), undo as (
          select undo_activity_id from incoming_undos
          where like_activity_id = ${input.activityId} and actor_uri = ${input.payer.uri}
        ), ins as (
          insert into incoming_flattrs (activity_id, peer_host, remote_actor_id, thing_id, period,
                                        currency, payer_instance, protocol_version, received_at,
                                        withdrawn_at, undo_activity_id)
          select ${input.activityId}, ${input.payer.host}, ${input.payer.id}::int8,
                 thing.id, ${input.period}, ${input.currency},
                 ${input.payerInstance}, ${input.protocolVersion}, ${now.toISOString()}::timestamptz,
                 case when u.undo_activity_id is null then null
                      else ${now.toISOString()}::timestamptz end,
                 u.undo_activity_id
          from thing, (select (select undo_activity_id from undo) as undo_activity_id) u
          where exists (select 1 from peer)
          on conflict do nothing
          returning undo_activity_id
        ), consumed as (
          delete from incoming_undos
          where like_activity_id = ${input.activityId} and actor_uri = ${input.payer.uri}
            and exists (select 1 from ins where undo_activity_id is not null)
        )
        select exists (select 1 from thing) and exists (select 1 from peer) as resolved,
               exists (select 1 from ins) as inserted,
               exists (select 1 from ins where undo_activity_id is not null) as withdrawn`,
  );
  return { resolved: !!row?.resolved, inserted: !!row?.inserted, withdrawn: !!row?.withdrawn };
}

/** After an insert that stored nothing: a repeat of the same `Like`, or another one's conflict. */
async function notInserted(
  db: Db,
  input: IncomingFlattrFields,
): Promise<Result<Received, IncomingError>> {
  const [same] = await queryRows(
    db,
    sql`select 1 as x from incoming_flattrs where activity_id = ${input.activityId}`,
  );
  if (same) return ok("duplicate" as const);
  return refused(
    new IncomingError(
      "already_flattred",
      `${input.payer.uri} already flattred this thing in ${input.period} with another Like.`,
    ),
  );
}

/**
 * Records an incoming flattr, per (payer, thing, period): the period is the payer's, as sent,
 * never recomputed here. Refused: another currency or protocol version, a payer instance on
 * another origin than the payer, a period far from now (more than 3 months past or 1 ahead,
 * whatever the time zones), or a second active flattr of the same thing in the same period
 * under another id. A repeat of the same `Like` changes nothing.
 */
export async function receiveFlattr(
  db: Db,
  clock: Clock,
  config: Config,
  input: IncomingFlattrInput,
): Promise<Result<Received, IncomingError>> {
  const refusal = refusalOf(clock, config, input);
  if (refusal) return refused(refusal);
  // One statement (the inbound flattr path's only write).
  const row = await insertIncoming(
    db,
    clock.now(),
    input,
    sql`select ${input.thingId}::int8 as id`,
    sql`select 1`,
  );
  if (row.inserted)
    return ok(row.withdrawn ? ("recorded_withdrawn" as const) : ("recorded" as const));
  return notInserted(db, input);
}

/**
 * `receiveFlattr` of the local post or registered page whose object id is `objectUri`, from a
 * server that is a peer checked within `peerMaxAgeMs`, in one statement: the inbox's usual
 * case, which otherwise costs a look-up of the thing and one of the peer before the insert.
 * "unresolved" (nothing stored, nothing refused) when the flattr is not that case: the object is
 * something else (a profile, a thing's page, nothing of ours), the server is not a peer or not
 * checked lately, the recipient is not a user here, or the flattr would be refused; the caller then takes the long way
 * (`localThingForObject`, the peer's NodeInfo, `receiveFlattr`), which decides and says why.
 */
export async function receiveFlattrOfObject(
  db: Db,
  clock: Clock,
  config: Config,
  input: IncomingFlattrFields & {
    objectUri: string;
    /** Delivered to this local user's inbox (not the shared one): they must exist, undeleted. */
    recipient?: string;
  },
  peerMaxAgeMs: number,
): Promise<Result<Received | "unresolved", IncomingError>> {
  if (refusalOf(clock, config, input)) return ok("unresolved" as const);
  const now = clock.now();
  const checkedSince = new Date(now.getTime() - peerMaxAgeMs).toISOString();
  // The first half of localThingForObject's look-up (things by object id, local statuses).
  const row = await insertIncoming(
    db,
    now,
    input,
    sql`select t.id from things t
        where t.object_uri = ${input.objectUri} and t.owner_kind = 'local'
        union all
        select s.thing_id from statuses s
        where s.uri = ${input.objectUri} and s.user_id is not null and s.thing_id is not null
        limit 1`,
    sql`select 1 from peers
        where host = ${input.payer.host} and speaks_flattr
          and checked_at >= ${checkedSince}::timestamptz
          ${
            input.recipient === undefined
              ? sql``
              : sql`and exists (select 1 from users
                                where username = ${input.recipient} and deleted_at is null)`
          }`,
  );
  if (!row.resolved) return ok("unresolved" as const);
  if (row.inserted)
    return ok(row.withdrawn ? ("recorded_withdrawn" as const) : ("recorded" as const));
  return notInserted(db, input);
}

/**
 * Records a plain `Like` of one of our things (a favourite from Mastodon, or a `Like` from a
 * server that is not a peer): counted, never money. Idempotent by activity id.
 */
export async function recordFavourite(
  db: Db,
  clock: Clock,
  input: { activityId: string; actor: { id: bigint; uri: string }; thingId: number },
): Promise<Received> {
  const now = clock.now();
  return db.transaction(async (tx) => {
    const undo = sameOrigin(input.activityId, input.actor.uri)
      ? await tombstone(tx as Db, input.activityId, input.actor.uri)
      : null;
    const [inserted] = await queryRows<{ id: string }>(
      tx,
      sql`insert into favourites (activity_id, remote_actor_id, thing_id, created_at,
                                  withdrawn_at, undo_activity_id)
          values (${input.activityId}, ${input.actor.id}::int8, ${input.thingId}::int8,
                  ${now.toISOString()}::timestamptz,
                  ${undo === null ? null : now.toISOString()}::timestamptz, ${undo})
          on conflict (activity_id) do nothing
          returning id::text`,
    );
    if (!inserted) return "duplicate";
    if (undo === null) return "recorded";
    await tx.execute(
      sql`delete from incoming_undos
          where like_activity_id = ${input.activityId} and actor_uri = ${input.actor.uri}`,
    );
    return "recorded_withdrawn";
  });
}

export type Withdrawn =
  /** An incoming flattr or favourite of this actor is now withdrawn. */
  | "withdrawn"
  /** It was withdrawn already: nothing changed. */
  | "already"
  /** Not received (yet): remembered, so the `Like` arriving later is recorded withdrawn. */
  | "remembered"
  /** Nothing of ours (and not to be remembered). */
  | "unknown";

/**
 * `Undo(Like)`: withdraws the incoming flattr or favourite the `Like`'s id names, if `actorUri`
 * sent it. An `Undo` of a `Like` not received yet is remembered when `remember` (the `Undo`
 * embeds a `Like` by that actor) and the `Like`'s id is on the actor's origin.
 */
export async function withdrawIncoming(
  db: Db,
  clock: Clock,
  input: { likeActivityId: string; undoActivityId: string; actorUri: string; remember: boolean },
): Promise<Withdrawn> {
  const now = clock.now().toISOString();
  const like = input.likeActivityId;
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{ n: string; already: string }>(
      tx,
      sql`with f as (
            update incoming_flattrs i set withdrawn_at = ${now}::timestamptz,
                                          undo_activity_id = ${input.undoActivityId}
            from remote_actors a
            where i.activity_id = ${like} and a.id = i.remote_actor_id
              and a.uri = ${input.actorUri} and i.withdrawn_at is null
            returning i.id
          ),
          v as (
            update favourites x set withdrawn_at = ${now}::timestamptz,
                                    undo_activity_id = ${input.undoActivityId}
            from remote_actors a
            where x.activity_id = ${like} and a.id = x.remote_actor_id
              and a.uri = ${input.actorUri} and x.withdrawn_at is null
            returning x.id
          )
          select ((select count(*) from f) + (select count(*) from v))::text as n,
                 ((select count(*) from incoming_flattrs i join remote_actors a on a.id = i.remote_actor_id
                   where i.activity_id = ${like} and a.uri = ${input.actorUri})
                  + (select count(*) from favourites x join remote_actors a on a.id = x.remote_actor_id
                     where x.activity_id = ${like} and a.uri = ${input.actorUri}))::text as already`,
    );
    if (Number(row?.n ?? 0) > 0) return "withdrawn";
    if (Number(row?.already ?? 0) > 0) return "already";
    if (!input.remember || !sameOrigin(like, input.actorUri)) return "unknown";
    await tx.execute(
      sql`insert into incoming_undos (like_activity_id, undo_activity_id, actor_uri, received_at)
          values (${like}, ${input.undoActivityId}, ${input.actorUri}, ${now}::timestamptz)
          on conflict (like_activity_id, actor_uri) do nothing`,
    );
    return "remembered";
  });
}
