// ISO 4217 facts come from the runtime's Intl data so we never keep our own table of currencies.
const KNOWN = new Set(Intl.supportedValuesOf("currency"));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN.has(code);
}

/** Number of minor-unit digits (EUR 2, JPY 0, KWD 3). */
export function currencyExponent(code: string): number {
  if (!isCurrency(code)) throw new RangeError(`unknown ISO 4217 currency: ${code}`);
  return new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
    .maximumFractionDigits as number;
}
