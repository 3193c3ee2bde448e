import { Temporal as Polyfill } from "@js-temporal/polyfill";

/*
 * Fedify's vocabulary types name the global `Temporal` (lib esnext.temporal) but run on
 * @js-temporal/polyfill, which Node 24 has no global for; the polyfill's types differ in detail
 * from the lib's. These two functions are the one place that crosses between them.
 */

/** A Date as the Temporal.Instant Fedify's objects take (published, updated, …). */
export function instantOf(date: Date): Temporal.Instant {
  return Polyfill.Instant.fromEpochMilliseconds(date.getTime()) as unknown as Temporal.Instant;
}

/** A Temporal.Instant from a Fedify object as a Date (null stays null). */
export function dateOf(instant: Temporal.Instant | null | undefined): Date | null {
  return instant ? new Date(instant.epochMilliseconds) : null;
}
