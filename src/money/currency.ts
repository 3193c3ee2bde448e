// ISO 4217 facts come from the runtime's Intl data so we never keep our own table of currencies.
const KNOWN = new Set(Intl.supportedValuesOf("currency"));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN.has(code);
}

/**
 * Each currency's exponent, asked of Intl once: a NumberFormat costs tens of microseconds, and
 * every amount parsed or formatted asks (100,000 summary lines hashed on each side took seconds).
 */
const exponents = new Map<string, number>();

/** Number of minor-unit digits (EUR 2, JPY 0, KWD 3). */
export function currencyExponent(code: string): number {
  const known = exponents.get(code);
  if (known !== undefined) return known;
  if (!isCurrency(code)) throw new RangeError(`unknown ISO 4217 currency: ${code}`);
  const exp = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
    .maximumFractionDigits as number;
  exponents.set(code, exp);
  return exp;
}
