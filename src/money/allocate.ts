import { shareAt } from "./split.ts";

/**
 * Compares strings by Unicode code point, which is the byte order of their UTF-8 form: the same
 * order as PostgreSQL's `COLLATE "C"`, so SQL can reproduce the tie-break exactly.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/**
 * Splits `total` minor units over `keys` with equal weights by largest remainder: every share is
 * ⌊total/n⌋ or ⌊total/n⌋+1, the shares sum to exactly `total`, and the `total mod n` extra units
 * go to the first keys in code-point order (SQL: `row_number() over (order by key collate "C")
 * <= total % n`): split.ts's shareAt with the keys' order as the rank. The result does not
 * depend on the order of `keys`.
 */
export function allocate(total: bigint, keys: readonly string[]): Map<string, bigint> {
  if (total < 0n) throw new RangeError(`cannot allocate a negative amount: ${total}`);
  if (keys.length === 0) throw new RangeError("cannot allocate over no keys");
  const sorted = [...keys].sort(compareKeys);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new RangeError(`duplicate key: ${sorted[i]}`);
  }
  const shares = new Map<string, bigint>();
  sorted.forEach((key, i) => {
    shares.set(key, shareAt(total, sorted.length, i + 1));
  });
  return shares;
}
