/*
 * Personal transfer references ("FF-7KQ2-M9XC"): what a user writes in the remittance field of a
 * bank transfer so the admin knows whose wallet to credit (the Liberapay flow).
 *
 * Derived, not stored: the user id is scrambled by a fixed bijection on 35 bits (so references do
 * not reveal sign-up order and neighbours do not look alike), written as 7 Crockford base-32
 * characters, plus one Luhn mod 32 check character that catches every single mistyped character
 * and most swapped neighbours. Crockford's alphabet has no I, L, O, U; parsing reads them as
 * 1, 1, 0 and ignores case, spaces and dashes — what people do when they copy a reference.
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BITS = 35n;
const MOD = 1n << BITS;
const MUL = 0x5deece66dn; // odd, so invertible modulo 2^35
const ADD = 0x2545f491n;
const PREFIX = "FF";

function inverse(a: bigint): bigint {
  // Newton iteration for the inverse of an odd number modulo 2^k.
  let x = a;
  for (let i = 0; i < 6; i++) x = (x * (2n - a * x)) % MOD;
  return ((x % MOD) + MOD) % MOD;
}
const MUL_INV = inverse(MUL);

function luhnCheck(digits: number[]): number {
  let sum = 0;
  let factor = 2;
  for (let i = digits.length - 1; i >= 0; i--) {
    const addend = factor * digits[i]!;
    sum += Math.floor(addend / 32) + (addend % 32);
    factor = factor === 2 ? 1 : 2;
  }
  return (32 - (sum % 32)) % 32;
}

export function transferReference(userId: number | bigint): string {
  const id = BigInt(userId);
  if (id < 1n || id >= MOD) throw new RangeError(`user id out of range: ${userId}`);
  let x = (id * MUL + ADD) % MOD;
  const digits: number[] = [];
  for (let i = 0; i < 7; i++) {
    digits.unshift(Number(x & 31n));
    x >>= 5n;
  }
  digits.push(luhnCheck(digits));
  const s = digits.map((d) => ALPHABET[d]).join("");
  return `${PREFIX}-${s.slice(0, 4)}-${s.slice(4)}`;
}

/** The user id in a personal transfer reference, or null if it is not one (or mistyped). */
export function parseTransferReference(text: string): number | null {
  const s = text
    .toUpperCase()
    .replace(/[\s\-_.]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (!s.startsWith(PREFIX) || s.length !== PREFIX.length + 8) return null;
  const digits = [...s.slice(PREFIX.length)].map((c) => ALPHABET.indexOf(c));
  if (digits.some((d) => d < 0)) return null;
  const data = digits.slice(0, 7);
  if (luhnCheck(data) !== digits[7]) return null;
  let x = 0n;
  for (const d of data) x = (x << 5n) | BigInt(d);
  const id = (((((x - ADD) % MOD) + MOD) % MOD) * MUL_INV) % MOD;
  if (id < 1n || id > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(id);
}
