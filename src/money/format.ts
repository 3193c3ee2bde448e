import { formatAmount } from "./decimal.ts";

/**
 * Localised display of an amount ("€0.71", "0,71 €"). Intl gets the exact decimal string, never
 * a float, so large amounts print exactly too.
 */
export function formatMoney(minor: bigint, currency: string, locale = "en"): string {
  const nf = new Intl.NumberFormat(locale, { style: "currency", currency });
  return nf.format(formatAmount(minor, currency) as Intl.StringNumericLiteral);
}
