import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FIRST_PERIOD,
  hasEnded,
  isPeriod,
  LAST_PERIOD,
  nextPeriod,
  PeriodError,
  parsePeriod,
  payableFrom,
  payableThrough,
  periodAfter,
  periodBefore,
  periodBounds,
  periodLabel,
  periodOf,
  periodOfUncached,
  periodsEnding,
  previousPeriod,
} from "../../src/periods/period.ts";

const BERLIN = "Europe/Berlin";
const iso = (d: Date) => d.toISOString();

describe("periodOf in Europe/Berlin", () => {
  it("puts 23:59:59.999 on the last day in the month and 00:00 of the next day in the next", () => {
    // 31 March 2026 23:59:59.999 CEST (UTC+2) and 1 April 00:00 CEST.
    expect(periodOf(new Date("2026-03-31T21:59:59.999Z"), BERLIN)).toBe("2026-03");
    expect(periodOf(new Date("2026-03-31T22:00:00.000Z"), BERLIN)).toBe("2026-04");
    // 31 January 23:59:59.999 CET (UTC+1).
    expect(periodOf(new Date("2026-01-31T22:59:59.999Z"), BERLIN)).toBe("2026-01");
    expect(periodOf(new Date("2026-01-31T23:00:00.000Z"), BERLIN)).toBe("2026-02");
    // New year.
    expect(periodOf(new Date("2026-12-31T22:59:59.999Z"), BERLIN)).toBe("2026-12");
    expect(periodOf(new Date("2026-12-31T23:00:00.000Z"), BERLIN)).toBe("2027-01");
    // The same instants in UTC belong to the earlier month.
    expect(periodOf(new Date("2026-03-31T22:00:00.000Z"), "UTC")).toBe("2026-03");
  });

  it("handles the 2026 DST days inside their months", () => {
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST. March still starts at 00:00 CET.
    expect(periodBounds("2026-03", BERLIN)).toEqual({
      start: new Date("2026-02-28T23:00:00.000Z"),
      end: new Date("2026-03-31T22:00:00.000Z"),
    });
    expect(periodOf(new Date("2026-03-29T00:59:59.999Z"), BERLIN)).toBe("2026-03");
    expect(periodOf(new Date("2026-03-29T01:00:00.000Z"), BERLIN)).toBe("2026-03");
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET; the month is one hour longer.
    const oct = periodBounds("2026-10", BERLIN);
    expect(iso(oct.start)).toBe("2026-09-30T22:00:00.000Z");
    expect(iso(oct.end)).toBe("2026-10-31T23:00:00.000Z");
    expect(oct.end.getTime() - oct.start.getTime()).toBe((31 * 24 + 1) * 3600_000);
    const march = periodBounds("2026-03", BERLIN);
    expect(march.end.getTime() - march.start.getTime()).toBe((31 * 24 - 1) * 3600_000);
    expect(periodOf(new Date("2026-10-25T00:30:00.000Z"), BERLIN)).toBe("2026-10");
    expect(periodOf(new Date("2026-10-25T01:30:00.000Z"), BERLIN)).toBe("2026-10");
  });

  it("knows February in 2026 and in a leap year", () => {
    expect(periodBounds("2026-02", BERLIN)).toEqual({
      start: new Date("2026-01-31T23:00:00.000Z"),
      end: new Date("2026-02-28T23:00:00.000Z"),
    });
    expect(periodBounds("2028-02", BERLIN)).toEqual({
      start: new Date("2028-01-31T23:00:00.000Z"),
      end: new Date("2028-02-29T23:00:00.000Z"),
    });
    expect(periodOf(new Date("2028-02-29T22:59:59.999Z"), BERLIN)).toBe("2028-02");
    expect(periodOf(new Date("2028-02-29T23:00:00.000Z"), BERLIN)).toBe("2028-03");
    expect(periodOf(new Date("2026-02-28T22:59:59.999Z"), BERLIN)).toBe("2026-02");
    expect(periodOf(new Date("2026-02-28T23:00:00.000Z"), BERLIN)).toBe("2026-03");
  });

  it("starts a month at the start of its first day even where midnight does not exist", () => {
    // Paraguay's DST began at 00:00 on 1 October 2022: clocks jumped to 01:00.
    const b = periodBounds("2022-10", "America/Asuncion");
    expect(iso(b.start)).toBe("2022-10-01T04:00:00.000Z"); // 01:00 -03, the first instant of the day
    expect(periodOf(new Date(b.start.getTime() - 1), "America/Asuncion")).toBe("2022-09");
  });
});

describe("hasEnded", () => {
  it("is true from the first instant of the next period", () => {
    const end = new Date("2026-03-31T22:00:00.000Z");
    expect(hasEnded("2026-03", new Date(end.getTime() - 1), BERLIN)).toBe(false);
    expect(hasEnded("2026-03", end, BERLIN)).toBe(true);
    expect(hasEnded("2026-04", end, BERLIN)).toBe(false);
  });
});

describe("parsePeriod", () => {
  it("accepts YYYY-MM only", () => {
    expect(parsePeriod("2026-03")).toEqual({ year: 2026, month: 3 });
    for (const bad of [
      "2026-3",
      "2026-13",
      "2026-00",
      "26-03",
      "2026/03",
      " 2026-03",
      "2026-03-01",
      "0000-01",
      "",
      "2026-03\n",
    ]) {
      expect(() => parsePeriod(bad)).toThrow(PeriodError);
      expect(isPeriod(bad)).toBe(false);
    }
    expect(() => parsePeriod("2026-13")).toThrow(/expected YYYY-MM/);
  });

  it("steps across years", () => {
    expect(nextPeriod("2026-12")).toBe("2027-01");
    expect(nextPeriod("2026-01")).toBe("2026-02");
    expect(previousPeriod("2027-01")).toBe("2026-12");
    expect(() => nextPeriod("9999-12")).toThrow(PeriodError);
  });
});

describe("properties", () => {
  const zone = fc.constantFrom(
    "Europe/Berlin",
    "UTC",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Asuncion",
  );
  const instant = fc
    .integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2090, 0, 1) })
    .map((ms) => new Date(ms));
  const period = fc
    .tuple(fc.integer({ min: 1971, max: 2089 }), fc.integer({ min: 1, max: 12 }))
    .map(([y, m]) => `${y}-${String(m).padStart(2, "0")}`);

  it("every instant lies in the bounds of its period, and in no neighbour's", () => {
    fc.assert(
      fc.property(instant, zone, (t, tz) => {
        const p = periodOf(t, tz);
        const { start, end } = periodBounds(p, tz);
        expect(start.getTime() <= t.getTime() && t.getTime() < end.getTime()).toBe(true);
        const prev = periodBounds(previousPeriod(p), tz);
        const next = periodBounds(nextPeriod(p), tz);
        expect(t.getTime() < prev.end.getTime()).toBe(false);
        expect(t.getTime() >= next.start.getTime()).toBe(false);
      }),
    );
  });

  it("bounds are contiguous and the edges belong to the right periods", () => {
    fc.assert(
      fc.property(period, zone, (p, tz) => {
        const { start, end } = periodBounds(p, tz);
        expect(end.getTime()).toBe(periodBounds(nextPeriod(p), tz).start.getTime());
        expect(end.getTime() - start.getTime()).toBeGreaterThan(27 * 86400_000);
        expect(periodOf(start, tz)).toBe(p);
        expect(periodOf(new Date(end.getTime() - 1), tz)).toBe(p);
        expect(periodOf(end, tz)).toBe(nextPeriod(p));
        expect(periodOf(new Date(start.getTime() - 1), tz)).toBe(previousPeriod(p));
      }),
    );
  });
});

describe("periodOf's memo of the last period", () => {
  it("answers exactly what Temporal answers, for any sequence of instants and zones", () => {
    const zones = ["Europe/Berlin", "UTC", "America/Sao_Paulo", "Pacific/Apia", "Asia/Kolkata"];
    const boundary = fc
      .tuple(fc.integer({ min: 1990, max: 2040 }), fc.integer({ min: 1, max: 12 }))
      .chain(([y, m]) =>
        fc
          .integer({ min: -2, max: 2 })
          .map((d) => Date.UTC(y, m - 1, 1) + d * 3_600_000 + (d % 2) * 1),
      );
    const instant = fc.oneof(fc.integer({ min: 0, max: 2_300_000_000_000 }), boundary);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(instant, fc.constantFrom(...zones)), { minLength: 1, maxLength: 40 }),
        (seq) => {
          for (const [ms, tz] of seq)
            expect(periodOf(new Date(ms), tz)).toBe(periodOfUncached(ms, tz));
        },
      ),
      { numRuns: 300 },
    );
    expect(periodOf(new Date("9999-12-31T12:00:00Z"), "UTC")).toBe("9999-12");
    expect(periodOf(new Date("9999-12-31T13:00:00Z"), "UTC")).toBe("9999-12");
  });
});

describe("ranges of periods", () => {
  it("periodsEnding: the n months up to one, oldest first, never before the first", () => {
    expect(periodsEnding("2026-02", 3)).toEqual(["2025-12", "2026-01", "2026-02"]);
    expect(periodsEnding("2026-02", 1)).toEqual(["2026-02"]);
    expect(periodsEnding("2026-02", 0)).toEqual([]);
    expect(periodsEnding("0001-02", 5)).toEqual(["0001-01", "0001-02"]);
    expect(() => periodsEnding("2026-13", 2)).toThrow(PeriodError);
  });

  it("periodBefore and periodAfter stop at the first and last periods", () => {
    expect(periodBefore("2026-01")).toBe("2025-12");
    expect(periodBefore(FIRST_PERIOD)).toBeNull();
    expect(periodAfter("2025-12")).toBe("2026-01");
    expect(periodAfter(LAST_PERIOD)).toBeNull();
  });

  it("the last period has bounds too (it ends where year 10000 would start)", () => {
    const { start, end } = periodBounds(LAST_PERIOD, "UTC");
    expect(iso(start)).toBe("9999-12-01T00:00:00.000Z");
    expect(end.getTime()).toBe(Date.UTC(9999, 11, 32));
    expect(periodOf(new Date(end.getTime() - 1), "UTC")).toBe(LAST_PERIOD);
  });

  it("every period of a range is the one after the one before it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 40 }),
        (y, m, n) => {
          const last = `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}`;
          const range = periodsEnding(last, n);
          expect(range.length).toBe(Math.min(n, (y - 1) * 12 + m));
          if (n > 0) expect(range[range.length - 1]).toBe(last);
          for (let i = 1; i < range.length; i++) expect(periodAfter(range[i - 1]!)).toBe(range[i]);
        },
      ),
    );
  });
});

describe("periodLabel", () => {
  it("names a month in English, also years below 100", () => {
    expect(periodLabel("2026-03")).toBe("March 2026");
    expect(periodLabel("1999-12")).toBe("December 1999");
    expect(periodLabel("0042-01")).toBe("January 42");
    expect(() => periodLabel("2026-3")).toThrow(PeriodError);
  });
});

describe("payableThrough (SETTLEMENT_DAY)", () => {
  it("month M is payable from the start of day N of M+1 in the instance time zone", () => {
    const at = (iso: string, tz: string, day: number) => payableThrough(new Date(iso), tz, day);
    expect(at("2026-02-04T22:59:59Z", "Europe/Berlin", 5)).toBe("2025-12");
    expect(at("2026-02-04T23:00:00Z", "Europe/Berlin", 5)).toBe("2026-01");
    expect(at("2026-02-04T23:00:00Z", "UTC", 5)).toBe("2025-12");
    expect(at("2026-01-01T00:00:00Z", "UTC", 1)).toBe("2025-12");
    expect(at("2026-01-10T00:00:00Z", "UTC", 10)).toBe("2025-12");
    expect(at("2026-01-09T23:59:59Z", "UTC", 10)).toBe("2025-11");
    expect(payableFrom("2025-12", 5)).toBe("2026-01-05");
  });
});
