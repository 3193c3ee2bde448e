import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, payloadHash } from "../../src/ledger/index.ts";

describe("payloadHash", () => {
  it("is stable: the month close computes the same hash in SQL (settlement/close.ts)", () => {
    const p = {
      kind: "close",
      period: "2026-03",
      metadata: { flattrs: 3 },
      postings: [
        { account: "wallet:7", currency: "EUR", amount: -500n },
        { account: "earnings:2", currency: "EUR", amount: 250n },
        { account: "fees", currency: "EUR", amount: 50n },
        { account: "clearing:b.example", currency: "EUR", amount: 200n },
      ],
      reversesEntryId: null,
    };
    expect(canonicalJson({ b: [1, "x", null], a: { d: true, c: 1.5 } })).toBe(
      '{"a":{"c":1.5,"d":true},"b":[1,"x",null]}',
    );
    // The exact text hashed, spelled out: changing it breaks idempotency of stored entries.
    const text =
      '{"kind":"close","metadata":{"flattrs":3},"period":"2026-03","postings":[' +
      '["clearing:b.example","EUR","200"],["earnings:2","EUR","250"],["fees","EUR","50"],["wallet:7","EUR","-500"]' +
      '],"reverses":null}';
    expect(payloadHash(p)).toBe(createHash("sha256").update(text).digest("hex"));
    expect(payloadHash({ ...p, postings: [...p.postings].reverse() })).toBe(payloadHash(p));
    expect(payloadHash({ ...p, reversesEntryId: 1 })).not.toBe(payloadHash(p));
  });

  it("refuses values JSON cannot carry exactly", () => {
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });
});
