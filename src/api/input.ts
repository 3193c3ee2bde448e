import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { ApiError } from "../http/errors.ts";
import { parseAmount } from "../money/decimal.ts";
import type { Period } from "../periods/period.ts";

/*
 * What the API's schemas (schemas.ts) cannot decide alone because it depends on the instance:
 * the currency's decimals, the current period.
 */

export const MAX_BODY_BYTES = 16 * 1024;

/** A decimal string the schema let through, as minor units of `currency` (422 if it has too many decimals). */
export function amountIn(text: string, field: string, currency: string): bigint {
  const amount = parseAmount(text, currency);
  if (amount === null)
    throw new ApiError(
      422,
      `"${field}": "${text.slice(0, 40)}" is not an amount in ${currency} (e.g. "5.00").`,
      "invalid_amount",
    );
  return amount;
}

/** `?period=` when given, else the current period. */
export function periodOrCurrent(period: Period | undefined, clock: Clock, config: Config): Period {
  return period ?? currentPeriod(clock, config);
}
