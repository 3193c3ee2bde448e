import { currencyExponent, isCurrency } from "./currency.ts";

/**
 * Parses a non-negative decimal string ("5", "5.5", "5.00") into integer minor units.
 * Strings only: floats never touch money. Returns null for anything that is not an exact amount
 * in this currency (too many decimals, signs, exponents, blanks), and for a currency that is not
 * an ISO 4217 code at all: a remote server's message names its own currency, which must not make
 * reading it throw.
 */
export function parseAmount(text: string, currency: string): bigint | null {
  if (!isCurrency(currency)) return null;
  const exp = currencyExponent(currency);
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const whole = m[1]!;
  const frac = m[2] ?? "";
  if (frac.length > exp) return null;
  return BigInt(whole) * 10n ** BigInt(exp) + BigInt(frac.padEnd(exp, "0") || "0");
}

/** Formats minor units as a plain decimal string ("-5.07"), the wire form of amounts. */
export function formatAmount(minor: bigint, currency: string): string {
  const exp = currencyExponent(currency);
  const neg = minor < 0n;
  const abs = neg ? -minor : minor;
  const s = abs.toString().padStart(exp + 1, "0");
  const whole = exp === 0 ? s : s.slice(0, -exp);
  const frac = exp === 0 ? "" : `.${s.slice(-exp)}`;
  return `${neg ? "-" : ""}${whole}${frac}`;
}
