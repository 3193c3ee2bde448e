import { randomInt } from "node:crypto";

/*
 * Ids that sort by time, as Mastodon's do: (milliseconds since the Unix epoch) << 16 | 16 random
 * bits, an int8. Statuses and remote actors get them: the Mastodon client API hands ids to apps as
 * numeric strings and apps sort by them, so a status's id must follow its publication time, also
 * for a remote note fetched long after it was published. Local users keep their small identity
 * ids; a time id is always above 2^40, so the two never meet in one id space.
 */

const RANDOM_BITS = 16n;

/** A new id for something that happened at `at` (its publication time, not the time we saw it). */
export function newId(at: Date): bigint {
  const ms = at.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`not a usable time: ${String(at)}`);
  return (BigInt(ms) << RANDOM_BITS) | BigInt(randomInt(0, 1 << Number(RANDOM_BITS)));
}

/** The smallest id of anything at or after `at` (for `since`/`max` bounds by time). */
export function idAtTime(at: Date): bigint {
  return BigInt(at.getTime()) << RANDOM_BITS;
}

/** When the thing with this id happened (to the millisecond). */
export function timeOfId(id: bigint): Date {
  return new Date(Number(id >> RANDOM_BITS));
}
