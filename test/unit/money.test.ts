import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, compareKeys } from "../../src/money/allocate.ts";
import { parseAmount } from "../../src/money/decimal.ts";
import { fee, formatFeeRate, MAX_FEE_BP } from "../../src/money/fee.ts";
import { formatMoney } from "../../src/money/format.ts";
import { perFlattr, shareAt, shares } from "../../src/money/split.ts";

const amount = fc.bigInt({ min: 0n, max: 10n ** 15n });
const keys = fc.uniqueArray(fc.string({ unit: "binary", maxLength: 6 }), {
  minLength: 1,
  maxLength: 40,
});

describe("allocate", () => {
  it("sums exactly and gives every key ⌊q⌋ or ⌊q⌋+1", () => {
    fc.assert(
      fc.property(amount, keys, (total, ks) => {
        const shares = allocate(total, ks);
        expect([...shares.keys()].sort()).toEqual([...ks].sort());
        const n = BigInt(ks.length);
        const floor = total / n;
        let sum = 0n;
        for (const s of shares.values()) {
          expect(s === floor || s === floor + 1n).toBe(true);
          sum += s;
        }
        expect(sum).toBe(total);
      }),
    );
  });

  it("does not depend on the order of the keys", () => {
    fc.assert(
      fc.property(
        amount,
        keys.chain((ks) =>
          fc.tuple(fc.constant(ks), fc.shuffledSubarray(ks, { minLength: ks.length })),
        ),
        (total, [ks, shuffled]) => {
          const a = allocate(total, ks);
          const b = allocate(total, shuffled);
          for (const k of ks) expect(b.get(k)).toBe(a.get(k));
        },
      ),
    );
  });

  it("gives the extra units to the first keys in code-point order", () => {
    expect([...allocate(500n, ["c", "a", "b", "d", "e", "f", "g"])]).toEqual([
      ["a", 72n],
      ["b", 72n],
      ["c", 72n],
      ["d", 71n],
      ["e", 71n],
      ["f", 71n],
      ["g", 71n],
    ]);
    // Code-point order, not UTF-16 order: U+FF5E sorts before U+1F600 (PostgreSQL COLLATE "C").
    expect(compareKeys("\uff5e", "\u{1f600}")).toBeLessThan(0);
    expect(["\u{1f600}", "\uff5e"].sort()).toEqual(["\u{1f600}", "\uff5e"]);
    expect([...allocate(1n, ["\u{1f600}", "\uff5e"])]).toEqual([
      ["\uff5e", 1n],
      ["\u{1f600}", 0n],
    ]);
  });

  it("sorts like UTF-8 bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a), Buffer.from(b));
        expect(Math.sign(compareKeys(a, b))).toBe(bytes);
      }),
    );
  });

  it("refuses what it cannot split", () => {
    expect(() => allocate(1n, [])).toThrow(RangeError);
    expect(() => allocate(-1n, ["a"])).toThrow(RangeError);
    expect(() => allocate(1n, ["a", "a"])).toThrow(/duplicate/);
    expect([...allocate(0n, ["a", "b"]).values()]).toEqual([0n, 0n]);
  });
});

describe("fee", () => {
  it("is ⌊amount × bp / 10000⌋, within 0..amount", () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 10000 }), (a, bp) => {
        const f = fee(a, bp);
        expect(f >= 0n && f <= a).toBe(true);
        // floor: f ≤ a·bp/10000 < f+1
        expect(f * 10000n <= a * BigInt(bp)).toBe(true);
        expect((f + 1n) * 10000n > a * BigInt(bp)).toBe(true);
      }),
    );
    expect(fee(500n, 1000)).toBe(50n);
    expect(fee(499n, 1000)).toBe(49n);
    expect(fee(500n, 0)).toBe(0n);
    expect(fee(500n, 10000)).toBe(500n);
  });

  it("refuses bad rates and amounts", () => {
    expect(() => fee(1n, -1)).toThrow(RangeError);
    expect(() => fee(1n, 10001)).toThrow(RangeError);
    expect(() => fee(1n, 1.5)).toThrow(RangeError);
    expect(() => fee(-1n, 10)).toThrow(RangeError);
  });

  it("formats rates", () => {
    expect(formatFeeRate(1000)).toBe("10%");
    expect(formatFeeRate(250)).toBe("2.5%");
    expect(formatFeeRate(5)).toBe("0.05%");
    expect(formatFeeRate(0)).toBe("0%");
    expect(formatFeeRate(10)).toBe("0.1%");
    expect(formatFeeRate(10000)).toBe("100%");
    // Exact for every rate: the percentage read back as hundredths is the basis points.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_FEE_BP }), (bp) => {
        const text = formatFeeRate(bp);
        expect(text).toMatch(/^(0|[1-9]\d*)(\.\d?[1-9])?%$/);
        expect(parseAmount(text.slice(0, -1), "EUR")).toBe(BigInt(bp));
      }),
    );
  });
});

describe("formatMoney", () => {
  it("prints amounts exactly, localised", () => {
    expect(formatMoney(71n, "EUR")).toBe("€0.71");
    expect(formatMoney(500n, "EUR")).toBe("€5.00");
    expect(formatMoney(-507n, "EUR")).toBe("-€5.07");
    expect(formatMoney(71n, "EUR", "de")).toBe("0,71\u00a0€");
    expect(formatMoney(12n, "JPY")).toBe("¥12");
    expect(formatMoney(123456789012345678n, "EUR")).toBe("€1,234,567,890,123,456.78");
  });

  it("round-trips through parseAmount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n - 1n }), (minor) => {
        const text = formatMoney(minor, "EUR").replace(/[€,]/g, "");
        expect(parseAmount(text, "EUR")).toBe(minor);
      }),
    );
  });
});

describe("split", () => {
  it("gives the net mod n extra units to the oldest flattrs and sums exactly", () => {
    expect(shares(500n, 7)).toEqual([72n, 72n, 72n, 71n, 71n, 71n, 71n]);
    expect(shares(2n, 3)).toEqual([1n, 1n, 0n]);
    expect(shares(0n, 2)).toEqual([0n, 0n]);
    fc.assert(
      fc.property(amount, fc.integer({ min: 1, max: 60 }), (net, n) => {
        const all = shares(net, n);
        expect(all.reduce((a, b) => a + b, 0n)).toBe(net);
        const { each, exact } = perFlattr(net, n);
        for (const s of all) expect(s === each || s === each + 1n).toBe(true);
        expect(all[n - 1]).toBe(each);
        expect(exact).toBe(all.every((s) => s === each));
      }),
    );
  });

  it("'about X each' is the newest flattr's share, the floor: what one more flattr gets", () => {
    // €5.00 over 3: 1.67, 1.67, 1.66. The figure is 1.66 (not 1.67, the rounded mean).
    expect(perFlattr(500n, 3)).toEqual({ each: 166n, exact: false });
    expect(perFlattr(360n, 2)).toEqual({ each: 180n, exact: true });
    expect(perFlattr(500n, 7)).toEqual({ each: 71n, exact: false });
    expect(perFlattr(3n, 5)).toEqual({ each: 0n, exact: false });
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 60 }), (net, n) => {
        expect(perFlattr(net, n + 1).each).toBe(shareAt(net, n + 1, n + 1));
      }),
    );
  });

  it("refuses what it cannot split", () => {
    expect(() => shareAt(10n, 0, 1)).toThrow(RangeError);
    expect(() => shareAt(10n, 3, 0)).toThrow(RangeError);
    expect(() => shareAt(10n, 3, 4)).toThrow(RangeError);
    expect(() => shareAt(-1n, 3, 1)).toThrow(RangeError);
    expect(() => perFlattr(10n, 0)).toThrow(RangeError);
    expect(() => shares(10n, 1.5)).toThrow(RangeError);
  });
});
