import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { readLinesPage } from "../../src/federation/vocab/settlement.ts";

/*
 * The lines page is checked by hand (src/federation/vocab/settlement.ts). These are the valibot
 * schemas it replaced: every line or page either refuses, the other refuses too, with a reason.
 */
const URL_STRING = v.pipe(v.string(), v.maxLength(2000), v.url());
const Line = v.object({
  creator: URL_STRING,
  amount: v.pipe(v.string(), v.maxLength(30)),
  flattrs: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31 - 1)),
  likes: v.optional(v.pipe(v.array(URL_STRING), v.maxLength(100_000))),
  claim: v.optional(URL_STRING),
});
const Page = v.object({
  lines: v.pipe(v.array(v.unknown()), v.maxLength(100_000)),
  next: v.nullable(URL_STRING),
});

const good = {
  creator: "https://b.example/users/alice",
  amount: "1.23",
  flattrs: 1,
  likes: ["https://a.example/likes/1"],
};
const longUrl = `https://b.example/${"x".repeat(2000)}`;
const badLines: unknown[] = [
  null,
  7,
  "line",
  [],
  [good],
  {},
  { ...good, creator: undefined },
  { ...good, creator: 5 },
  { ...good, creator: "not a url" },
  { ...good, creator: longUrl },
  { ...good, amount: undefined },
  { ...good, amount: 123 },
  { ...good, amount: "1".repeat(31) },
  { ...good, flattrs: undefined },
  { ...good, flattrs: "1" },
  { ...good, flattrs: 0 },
  { ...good, flattrs: -1 },
  { ...good, flattrs: 1.5 },
  { ...good, flattrs: 2 ** 31 },
  { ...good, flattrs: Number.NaN },
  { ...good, flattrs: Number.POSITIVE_INFINITY },
  { ...good, likes: null },
  { ...good, likes: "https://a.example/likes/1" },
  { ...good, likes: [5] },
  { ...good, likes: ["https://a.example/likes/1", "nope"] },
  { ...good, likes: [longUrl] },
  { ...good, likes: Array.from({ length: 100_001 }, (_, i) => `https://a.example/l/${i}`) },
  { ...good, claim: null },
  { ...good, claim: 3 },
  { ...good, claim: "nope" },
  { ...good, claim: longUrl },
];
const goodLines: unknown[] = [
  good,
  { ...good, extra: "ignored" },
  { ...good, flattrs: 2 ** 31 - 1, likes: Array(100_000).fill("https://a.example/l") },
  { creator: good.creator, amount: "0.50", flattrs: 1, claim: "https://a.example/claims/1" },
  { ...good, creator: "https://b.example/".padEnd(2000, "y") },
];

const page = (lines: unknown[], next: unknown = null) => ({ lines, next });

describe("the lines page check", () => {
  it("refuses every line the valibot schema refused, saying what is wrong", () => {
    for (const line of badLines) {
      expect(v.safeParse(Line, line).success).toBe(false);
      const r = readLinesPage(page([good, line]), "EUR");
      expect(typeof r, JSON.stringify(line)?.slice(0, 80)).toBe("string");
      expect(r as string).toMatch(/^Malformed line: .+/);
    }
  });

  it("reads every line the valibot schema read, as it read them", () => {
    for (const line of goodLines) {
      expect(v.safeParse(Line, line).success).toBe(true);
      const r = readLinesPage(page([line], "https://a.example/lines?page=2"), "EUR");
      if (typeof r === "string") throw new Error(r);
      const l = line as { creator: string; flattrs: number; likes?: string[]; claim?: string };
      expect(r.next).toBe("https://a.example/lines?page=2");
      expect(r.lines[0]).toMatchObject({ creator: l.creator, flattrs: l.flattrs });
      if (l.likes) expect(r.lines[0]!.likes).toEqual(l.likes);
      else expect(r.lines[0]!.claim).toBe(l.claim);
    }
  });

  it("refuses every page the valibot schema refused", () => {
    const badPages: unknown[] = [
      null,
      [],
      "page",
      {},
      { lines: [] },
      { lines: null, next: null },
      { lines: {}, next: null },
      { lines: Array(100_001).fill(good), next: null },
      { lines: [], next: "nope" },
      { lines: [], next: 5 },
      { lines: [], next: longUrl },
    ];
    for (const p of badPages) {
      expect(v.safeParse(Page, p).success).toBe(false);
      expect(readLinesPage(p, "EUR")).toMatch(/^Malformed lines page: .+/);
    }
    expect(v.safeParse(Page, page([])).success).toBe(true);
    expect(readLinesPage(page([]), "EUR")).toEqual({ lines: [], next: null });
  });

  it("still refuses amounts that are none, and lines naming both Likes and a claim or neither", () => {
    expect(readLinesPage(page([{ ...good, amount: "abc" }]), "EUR")).toMatch(/not an amount/);
    expect(readLinesPage(page([{ ...good, amount: "0.00" }]), "EUR")).toMatch(/not an amount/);
    const both = { ...good, claim: "https://a.example/claims/1" };
    expect(readLinesPage(page([both]), "EUR")).toMatch(/either its Likes or a claim/);
    const neither = { creator: good.creator, amount: "1.00", flattrs: 1 };
    expect(readLinesPage(page([neither]), "EUR")).toMatch(/either its Likes or a claim/);
  });
});
