import { getLogger } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import { type Db, queryRows } from "../../db/client.ts";
import { receiveFlattr } from "../../flattr/incoming.ts";
import { localThingForObject } from "../../flattr/local-objects.ts";
import { hostOf } from "../../peers/host.ts";
import type { SummaryIn } from "./received.ts";

const logger = getLogger(["fediflattr", "settlement", "summaries"]);

/*
 * A Like a summary names that never reached us (issue 10 point 3: "a missing one may be fetched
 * from its id"): its delivery may have been lost while the sender was sure it went out. Before
 * the Likes are checked, each one named and not received is fetched from its id (a signed GET by
 * our instance actor: the federation supplies `LikeFetcher`, the domain stays free of HTTP) and
 * believed only when it is a `Like` with our payment extension, at the id named, by an actor on
 * the sending peer, of a thing of the line's creator, in the summary's period; then it is recorded
 * as an incoming flattr through the same door as a delivered one (receiveFlattr: currency,
 * protocol version, one origin, one active flattr per payer, thing and period) and the check goes
 * on. Anything else refuses the summary `likes`. At most MAX_FETCHED_LIKES are fetched per
 * decision, so a summary cannot make us fetch 100,000 documents.
 */

export const MAX_FETCHED_LIKES = 100;

/** A fetched `Like` as the federation read it (its JSON-LD, extension read by IRI). */
export interface FetchedLike {
  id: string;
  actor: string;
  object: string;
  period: string;
  currency: string;
  payerInstance: string;
  protocolVersion: string;
}

export interface LikeFetcher {
  /**
   * The document at `id` read as a `Like` with the payment extension; null when it is missing,
   * gone (withdrawn) or not such a `Like`. Throws when the server cannot be reached now.
   */
  like(id: string): Promise<FetchedLike | null>;
  /** The payer `uri`, fetched and kept as a remote actor; null when it is no actor. */
  payer(uri: string): Promise<{ id: bigint; uri: string; host: string } | null>;
}

export type FetchProblem = { reason: "likes"; message: string };

/**
 * Fetches and records the Likes `s`'s stored lines name that we never received. Null when every
 * one was recorded (or none was missing); else why the summary is refused `likes`. Throws what
 * `fetcher` throws when the sender cannot be reached (the caller retries later).
 */
export async function recordMissingLikes(
  db: Db,
  clock: Clock,
  config: Config,
  s: SummaryIn,
  fetcher: LikeFetcher,
): Promise<FetchProblem | null> {
  const missing = await queryRows<{ idx: number; user_id: string; like_id: string }>(
    db,
    sql`select l.idx, l.user_id::text, u.like_id
        from settlement_lines_in l cross join lateral unnest(l.like_ids) as u(like_id)
        where l.summary_id = ${s.id} and l.like_ids is not null and l.user_id is not null
          and not exists (select 1 from incoming_flattrs i where i.activity_id = u.like_id)
        order by l.idx, u.like_id
        limit ${MAX_FETCHED_LIKES + 1}`,
  );
  if (missing.length > MAX_FETCHED_LIKES)
    return {
      reason: "likes",
      message: `More than ${MAX_FETCHED_LIKES} of the Likes named were never received here; they are not fetched.`,
    };
  for (const m of missing) {
    const problem = await recordOne(
      db,
      clock,
      config,
      s,
      m.idx,
      BigInt(m.user_id),
      m.like_id,
      fetcher,
    );
    if (problem) {
      logger.warning("Summary {id} from {peer}: {message}", {
        id: s.id,
        peer: s.peerHost,
        message: problem,
      });
      return { reason: "likes", message: problem };
    }
    logger.info("Summary {id} from {peer}: recorded the missing Like {like}, fetched from its id", {
      id: s.id,
      peer: s.peerHost,
      like: m.like_id,
    });
  }
  return null;
}

/** Fetches, checks and records one Like; the refusal's message, or null. */
async function recordOne(
  db: Db,
  clock: Clock,
  config: Config,
  s: SummaryIn,
  idx: number,
  creatorId: bigint,
  likeId: string,
  fetcher: LikeFetcher,
): Promise<string | null> {
  const named = `Line ${idx} names ${likeId}, which never reached us`;
  if (hostOf(likeId) !== s.peerHost) return `${named} and is not on ${s.peerHost}.`;
  const like = await fetcher.like(likeId);
  if (like === null)
    return `${named}; fetched from its id, it is not a Like with the payment extension (or it was withdrawn).`;
  if (like.id !== likeId) return `${named}; its id names another document (${like.id}).`;
  if (hostOf(like.actor) !== s.peerHost)
    return `${named}; fetched, it is by ${like.actor}, not an actor on ${s.peerHost}.`;
  if (like.period !== s.period)
    return `${named}; fetched, it is of ${like.period}, not of ${s.period}.`;
  const thingId = await localThingForObject(db, clock, config, like.object);
  const [owned] =
    thingId === null
      ? []
      : await queryRows<{ x: number }>(
          db,
          sql`select 1 as x from things where id = ${thingId}::int8 and owner_kind = 'local'
              and owner_id = ${creatorId}::int8`,
        );
  if (!owned)
    return `${named}; fetched, it is of ${like.object}, not a thing of that line's creator.`;
  const payer = await fetcher.payer(like.actor);
  if (payer === null || payer.uri !== like.actor || payer.host !== s.peerHost)
    return `${named}; its actor ${like.actor} could not be read as an account on ${s.peerHost}.`;
  const r = await receiveFlattr(db, clock, config, {
    activityId: likeId,
    payer,
    thingId: Number(thingId),
    period: like.period,
    currency: like.currency,
    payerInstance: like.payerInstance,
    protocolVersion: like.protocolVersion,
  });
  return r.ok ? null : `${named}; fetched, it was refused: ${r.error.message}`;
}
