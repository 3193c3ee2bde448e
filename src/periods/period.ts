import { Temporal } from "@js-temporal/polyfill";

/**
 * A settlement period: one calendar month in the instance time zone, written "YYYY-MM".
 * Plain strings so they travel through SQL, JSON and URLs unchanged; they sort chronologically.
 */
export type Period = string;

export class PeriodError extends Error {
  override name = "PeriodError";
}

const PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The first and last periods a "YYYY-MM" string can name. */
export const FIRST_PERIOD: Period = "0001-01";
export const LAST_PERIOD: Period = "9999-12";

/** Strict: exactly "YYYY-MM" with a month 01–12 and a year 0001–9999. */
export function parsePeriod(text: string): { year: number; month: number } {
  const m = PATTERN.exec(text);
  if (!m || m[1] === "0000") {
    throw new PeriodError(`not a period: "${text}" (expected YYYY-MM, e.g. 2026-03)`);
  }
  return { year: Number(m[1]), month: Number(m[2]) };
}

export function isPeriod(text: string): boolean {
  return PATTERN.test(text) && !text.startsWith("0000");
}

function format(year: number, month: number): Period {
  if (year < 1 || year > 9999) throw new PeriodError(`year ${year} is outside 0001–9999`);
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
}

/**
 * The period an instant belongs to, in the given IANA time zone. Every flattr asks this for "now",
 * and the Temporal polyfill is slow: the bounds of the last answer are kept, and an instant inside
 * them is answered without Temporal (periodBounds(periodOf(x)) always contains x).
 */
export function periodOf(instant: Date, timeZone: string): Period {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) throw new PeriodError("invalid date");
  const c = lastPeriod;
  if (c && c.timeZone === timeZone && ms >= c.start && ms < c.end) return c.period;
  const period = periodOfUncached(ms, timeZone);
  const { start, end } = periodBounds(period, timeZone);
  lastPeriod = { timeZone, period, start: start.getTime(), end: end.getTime() };
  return period;
}

let lastPeriod: { timeZone: string; period: Period; start: number; end: number } | undefined;

/** periodOf without the memo (tests compare the two). */
export function periodOfUncached(ms: number, timeZone: string): Period {
  const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(timeZone);
  return format(z.year, z.month);
}

function startOf(year: number, month: number, timeZone: string): Date {
  // startOfDay, not 00:00: in zones whose midnight can be skipped by DST the month starts later.
  const z = Temporal.PlainDate.from({ year, month, day: 1 }).toZonedDateTime({ timeZone });
  return new Date(z.epochMilliseconds);
}

/** The half-open interval [start, end) of instants that belong to the period. */
export function periodBounds(period: Period, timeZone: string): { start: Date; end: Date } {
  const { year, month } = parsePeriod(period);
  // Not through nextPeriod(): LAST_PERIOD ends at the start of year 10000, which no period names.
  const end = month === 12 ? startOf(year + 1, 1, timeZone) : startOf(year, month + 1, timeZone);
  return { start: startOf(year, month, timeZone), end };
}

export function nextPeriod(period: Period): Period {
  const { year, month } = parsePeriod(period);
  return month === 12 ? format(year + 1, 1) : format(year, month + 1);
}

export function previousPeriod(period: Period): Period {
  const { year, month } = parsePeriod(period);
  return month === 1 ? format(year - 1, 12) : format(year, month - 1);
}

/** True once every instant of the period lies in the past (now ≥ end). */
export function hasEnded(period: Period, now: Date, timeZone: string): boolean {
  return now.getTime() >= periodBounds(period, timeZone).end.getTime();
}

/** The period after, or null for the last one. */
export function periodAfter(period: Period): Period | null {
  return period === LAST_PERIOD ? null : nextPeriod(period);
}

/**
 * The period before, or null for the first one. For callers that look back from any period a
 * user may name (statements of 0001-01 exist; its previous month does not).
 */
export function periodBefore(period: Period): Period | null {
  return period === FIRST_PERIOD ? null : previousPeriod(period);
}

/** The `n` periods ending with `last`, oldest first, never before FIRST_PERIOD (chart axes). */
export function periodsEnding(last: Period, n: number): Period[] {
  parsePeriod(last);
  if (n <= 0) return [];
  const out: Period[] = [last];
  for (let p = periodBefore(last); p !== null && out.length < n; p = periodBefore(p)) {
    out.unshift(p);
  }
  return out;
}

/** "2026-03" → "March 2026": how every page names a period. */
export function periodLabel(period: Period): string {
  const { year, month } = parsePeriod(period);
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const d = new Date(Date.UTC(2000, month - 1, 1));
  d.setUTCFullYear(year);
  return d.toLocaleString("en", { month: "long", year: "numeric", timeZone: "UTC" });
}

/**
 * The last period whose revenue is payable at `now`: month M becomes payable at the start of day
 * `settlementDay` of M+1 in the instance time zone (SETTLEMENT_DAY). Before that day the month
 * before the previous one is the last.
 */
export function payableThrough(now: Date, timeZone: string, settlementDay: number): Period {
  const z = Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(timeZone);
  const current = format(z.year, z.month);
  const last = previousPeriod(current);
  return z.day >= settlementDay ? last : previousPeriod(last);
}

/** The first day (YYYY-MM-DD) on which revenue of `period` is payable. */
export function payableFrom(period: Period, settlementDay: number): string {
  return `${nextPeriod(period)}-${String(settlementDay).padStart(2, "0")}`;
}
