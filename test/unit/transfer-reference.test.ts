import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTransferReference, transferReference } from "../../src/ledger/index.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const id = fc.integer({ min: 1, max: 2 ** 35 - 1 });

describe("transfer references", () => {
  it("look like FF-XXXX-XXXX and read back to the user id", () => {
    expect(transferReference(1)).toMatch(/^FF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    fc.assert(
      fc.property(id, (n) => {
        const ref = transferReference(n);
        expect(ref).toMatch(/^FF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
        expect(parseTransferReference(ref)).toBe(n);
      }),
    );
  });

  it("do not look alike for neighbouring users", () => {
    const a = transferReference(41);
    const b = transferReference(42);
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    expect(same).toBeLessThan(8);
  });

  it("forgive case, spaces, dashes and Crockford look-alikes", () => {
    const ref = transferReference(12345);
    expect(parseTransferReference(ref.toLowerCase())).toBe(12345);
    expect(parseTransferReference(ref.replace(/-/g, " "))).toBe(12345);
    expect(parseTransferReference(` ${ref.replace(/-/g, "")} `)).toBe(12345);
    const withLookAlikes = ref.replace(/0/g, "O").replace(/1/g, "l");
    expect(parseTransferReference(withLookAlikes)).toBe(12345);
  });

  it("catch every single mistyped character", () => {
    fc.assert(
      fc.property(
        id,
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 31 }),
        (n, pos, shift) => {
          const chars = transferReference(n).replace(/-/g, "").slice(2).split("");
          chars[pos] = ALPHABET[(ALPHABET.indexOf(chars[pos]!) + shift) % 32]!;
          expect(parseTransferReference(`FF${chars.join("")}`)).toBeNull();
        },
      ),
    );
  });

  it("catch most swapped neighbours", () => {
    let caught = 0;
    let swaps = 0;
    for (let n = 1; n <= 2000; n++) {
      const chars = transferReference(n * 7919)
        .replace(/-/g, "")
        .slice(2)
        .split("");
      for (let i = 0; i < 7; i++) {
        if (chars[i] === chars[i + 1]) continue;
        const swapped = [...chars];
        [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
        swaps++;
        if (parseTransferReference(`FF${swapped.join("")}`) === null) caught++;
      }
    }
    expect(caught / swaps).toBeGreaterThan(0.95);
  });

  it("reject what is not a reference", () => {
    for (const bad of ["", "FF", "XX-1234-5678", "FF-1234-567", "FF-1234-5678-9", "FF-UUUU-UUUU"]) {
      expect(parseTransferReference(bad)).toBeNull();
    }
    expect(() => transferReference(0)).toThrow(RangeError);
  });
});
