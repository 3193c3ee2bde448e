/*
 * The split of one payer's month, in TypeScript: the twin of the SQL the close posts
 * (settlement/shares.ts), held equal to it on PGlite and PostgreSQL by test/db/shares.test.ts.
 *
 *   fee   = ⌊amount × fee_bp / 10 000⌋                      (fee.ts)
 *   net   = amount − fee
 *   share = ⌊net / n⌋ + (1 if rank ≤ net mod n)            rank = 1…n by flattr id
 *
 * Every share is ⌊net/n⌋ or ⌊net/n⌋ + 1 and the shares sum to net exactly; the net mod n extra
 * units go to the oldest flattrs (lowest ids).
 */

function count(n: number): bigint {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`not a flattr count: ${n}`);
  return BigInt(n);
}

/** The share of the flattr ranked `rank` (1-based, by flattr id) among `n` splitting `net`. */
export function shareAt(net: bigint, n: number, rank: number): bigint {
  const N = count(n);
  if (net < 0n) throw new RangeError(`cannot split a negative amount: ${net}`);
  if (!Number.isSafeInteger(rank) || rank < 1 || rank > n)
    throw new RangeError(`rank ${rank} is outside 1…${n}`);
  return net / N + (BigInt(rank) <= net % N ? 1n : 0n);
}

/** Every share, by rank (the oldest flattr first). */
export function shares(net: bigint, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => shareAt(net, n, i + 1));
}

/**
 * What "about X each" means wherever it is shown: `each` is the share of the last-ranked flattr,
 * ⌊net / n⌋. The newest flattr is the last-ranked one, so `each` is exactly what it gets — and
 * perFlattr(net, n + 1).each is exactly what one more flattr would get. Every other flattr gets
 * `each` or one minor unit more; `exact` says they all get `each` (net mod n = 0), and then the
 * figure is shown without "about".
 */
export interface PerFlattr {
  each: bigint;
  exact: boolean;
}

export function perFlattr(net: bigint, n: number): PerFlattr {
  return { each: shareAt(net, n, n), exact: net % count(n) === 0n };
}
