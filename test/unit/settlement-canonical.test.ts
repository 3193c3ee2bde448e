import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/ledger/index.ts";
import {
  LinesHasher,
  lineCanonical,
  lineJson,
  linesHash,
  type SummaryLine,
  summaryCanonical,
  summaryHash,
} from "../../src/settlement/summaries/canonical.ts";

// The canonical form of settlement summaries (docs/PROTOCOL.md): bytes both sides agree on.

const fields = {
  period: "2027-03",
  currency: "EUR",
  sequence: 2,
  previous: "ab".repeat(32),
  total: 12345n,
  lineCount: 2,
  flattrCount: 3,
  linesHash: "cd".repeat(32),
};

describe("summary canonical JSON and hashes", () => {
  it("sorts keys, writes amounts as decimals, no whitespace", () => {
    expect(summaryCanonical(fields)).toBe(
      `{"currency":"EUR","flattrCount":3,"lineCount":2,"linesHash":"${"cd".repeat(32)}",` +
        `"period":"2027-03","previous":"${"ab".repeat(32)}","sequence":2,"total":"123.45",` +
        `"type":"FlattrSettlementSummary"}`,
    );
    expect(summaryHash(fields)).toBe(
      createHash("sha256").update(summaryCanonical(fields)).digest("hex"),
    );
    expect(summaryCanonical({ ...fields, sequence: 1, previous: null })).toContain(
      '"previous":null',
    );
  });

  it("hashes lines one per line with a newline, incrementally", () => {
    const lines: SummaryLine[] = [
      { creator: "https://b.example/users/carol", amount: 150n, flattrs: 1, likes: ["x"] },
      { creator: "https://b.example/users/dave", amount: 5n, flattrs: 2, claim: "c1" },
    ];
    const text =
      '{"amount":"1.50","creator":"https://b.example/users/carol","flattrs":1,"likes":["x"]}\n' +
      '{"amount":"0.05","claim":"c1","creator":"https://b.example/users/dave","flattrs":2}\n';
    expect(linesHash(lines, "EUR")).toBe(createHash("sha256").update(text).digest("hex"));
  });

  it("any change to a line or a field changes the hash (a chain pins every line)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            creator: fc.webUrl(),
            amount: fc.bigInt({ min: 1n, max: 10n ** 12n }),
            flattrs: fc.integer({ min: 1, max: 1000 }),
            likes: fc.array(fc.webUrl(), { minLength: 1, maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.nat(),
        (lines, which) => {
          const h = new LinesHasher("EUR");
          for (const l of lines) h.add(l);
          const i = which % lines.length;
          const changed = lines.map((l, j) => (j === i ? { ...l, amount: l.amount + 1n } : l));
          const digest = h.digest();
          expect(linesHash(lines, "EUR")).toBe(digest);
          expect(linesHash(changed, "EUR")).not.toBe(digest);
          expect(h.total).toBe(lines.reduce((s, l) => s + l.amount, 0n));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("the written-out line form is byte for byte the generic canonical JSON", () => {
    const text = fc.string({ unit: "binary" });
    const line = fc.oneof(
      fc.record({
        creator: text,
        amount: fc.bigInt({ min: 1n, max: 10n ** 15n }),
        flattrs: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        likes: fc.array(text, { maxLength: 5 }),
      }),
      fc.record({
        creator: text,
        amount: fc.bigInt({ min: 1n, max: 10n ** 15n }),
        flattrs: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        claim: text,
      }),
    ) as fc.Arbitrary<SummaryLine>;
    fc.assert(
      fc.property(line, fc.constantFrom("EUR", "JPY"), (l, currency) => {
        expect(lineCanonical(l, currency)).toBe(canonicalJson(lineJson(l, currency)));
      }),
    );
  });
});
