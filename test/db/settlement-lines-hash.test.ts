// The sender hashes its built lines in SQL (build.ts, hashStoredLines) and serves them as JSON
// written by SQL (summaryLinesJson); the receiver reads and hashes them in JavaScript
// (canonical.ts). Both must agree on every line, also for strings JSON must escape and for
// amounts of every size, or every summary would be refused.
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client.ts";
import {
  hashStoredLines,
  pruneAcceptedSummaryPages,
  summaryLinesJson,
  summaryPageJson,
} from "../../src/settlement/summaries/build.ts";
import {
  LinesHasher,
  lineJson,
  type SummaryLine,
} from "../../src/settlement/summaries/canonical.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
// Far above the ids settlement_summaries_out hands out (the pruning test makes real rows).
let nextSummary = 1_000_001;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

async function store(lines: SummaryLine[], id = nextSummary++): Promise<number> {
  const rows = lines.map((l, idx) => ({
    idx,
    creator: l.creator,
    amount: l.amount.toString(),
    flattrs: l.flattrs,
    likes: l.likes ?? null,
    claim: l.claim ?? null,
  }));
  await database.db.execute(sql`
    insert into settlement_lines_out (summary_id, idx, creator_uri, amount, flattrs, like_ids, claim)
    select ${id}, r.idx, r.creator, r.amount::int8, r.flattrs, r.likes, r.claim
    from json_to_recordset(${JSON.stringify(rows)}::json)
         as r(idx int4, creator text, amount text, flattrs int4, likes text[], claim text)`);
  return id;
}

function jsHash(lines: SummaryLine[], currency: string) {
  const h = new LinesHasher(currency);
  for (const l of lines) h.add(l);
  return { hash: h.digest(), count: h.count, flattrs: h.flattrs, total: h.total };
}

// Text PostgreSQL can store (no NUL), with what JSON escapes and what it does not.
const awkward = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', "\\", "/", "\n", "\t", "\u0001", "\u001f", "\u007f", "é", "€", "😀"),
    fc.constantFrom("\u2028", "\u2029", "\b", "\f", "\r"),
    fc
      .integer({ min: 1, max: 0xffff })
      .filter((c) => c < 0xd800 || c > 0xdfff)
      .map((c) => String.fromCharCode(c)),
  ),
  maxLength: 12,
});

const line: fc.Arbitrary<SummaryLine> = fc.oneof(
  fc.record({
    creator: awkward.map((s) => `https://b.example/users/${s}`),
    amount: fc.bigInt({ min: 1n, max: 9_000_000_000_000n }),
    flattrs: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    likes: fc.array(
      awkward.map((s) => `https://a.example/flattrs/${s}`),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    creator: awkward.map((s) => `https://b.example/users/${s}`),
    amount: fc.bigInt({ min: 1n, max: 9_000_000_000_000n }),
    flattrs: fc.integer({ min: 1, max: 1000 }),
    claim: awkward.map((s) => `https://b.example/claims/${s}/announcement#a.example`),
  }),
);

describe("lines hashed in SQL and in JavaScript", () => {
  it("are the same bytes for awkward strings and amounts (EUR, JPY, BHD)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 8 }),
        fc.constantFrom("EUR", "JPY", "BHD"),
        async (lines, currency) => {
          const id = await store(lines);
          expect(await hashStoredLines(database.db, id, currency, true)).toEqual(
            jsHash(lines, currency),
          );
          // The page kept while hashing is what the collection serves: lineJson's lines.
          const served = JSON.parse(await summaryPageJson(database.db, id, 0, currency));
          expect(served).toEqual(lines.map((l) => lineJson(l, currency)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("pages over more than 5,000 lines in order, and hashes no lines as nothing", async () => {
    const lines: SummaryLine[] = Array.from({ length: 5003 }, (_, i) => ({
      creator: `https://b.example/users/c${i}`,
      amount: BigInt(i + 1),
      flattrs: 1,
      likes: [`https://a.example/flattrs/${i}`],
    }));
    const id = await store(lines);
    expect(await hashStoredLines(database.db, id, "EUR")).toEqual(jsHash(lines, "EUR"));
    expect(await hashStoredLines(database.db, 999_999, "EUR")).toEqual(jsHash([], "EUR"));
    const second = JSON.parse(await summaryLinesJson(database.db, id, 5000, 5000, "EUR"));
    expect(second).toEqual(lines.slice(5000).map((l) => lineJson(l, "EUR")));
    expect(await summaryLinesJson(database.db, 999_999, 0, 5000, "EUR")).toBe("[]");
  });

  it("keeps each page while hashing and serves it as the lines would be served", async () => {
    const lines: SummaryLine[] = Array.from({ length: 5002 }, (_, i) => ({
      creator: `https://b.example/users/c${i}`,
      amount: BigInt(i + 1),
      flattrs: 1 + (i % 3),
      likes: i % 2 ? [`https://a.example/flattrs/${i}`, `https://a.example/flattrs/${i}x`] : [],
    }));
    const id = await store(lines);
    // Before the pages are kept (a summary built before settlement_pages_out): from the lines.
    const fromLines = await summaryPageJson(database.db, id, 1, "EUR");
    expect(JSON.parse(fromLines)).toEqual(lines.slice(5000).map((l) => lineJson(l, "EUR")));
    expect(await hashStoredLines(database.db, id, "EUR", true)).toEqual(jsHash(lines, "EUR"));
    const [kept] = await queryRows<{ n: string }>(
      database.db,
      sql`select count(*)::text as n from settlement_pages_out where summary_id = ${id}`,
    );
    expect(kept?.n).toBe("2");
    for (const page of [0, 1]) {
      const served = JSON.parse(await summaryPageJson(database.db, id, page, "EUR"));
      expect(served).toEqual(
        lines.slice(page * 5000, page * 5000 + 5000).map((l) => lineJson(l, "EUR")),
      );
    }
    expect(await summaryPageJson(database.db, id, 2, "EUR")).toBe("[]");
  });

  it("prunes the kept pages of accepted summaries only; they are then served from the lines", async () => {
    const made = async (peer: string, state: string) => {
      const [row] = await queryRows<{ id: string }>(
        database.db,
        sql`insert into settlement_summaries_out (peer_host, period, sequence, hash, currency,
              total, line_count, flattr_count, lines_hash, state, next_attempt_at, created_at)
            values (${peer}, '2026-01', 1, 'h', 'EUR', 3, 2, 2, 'l', ${state}, now(), now())
            returning id::text`,
      );
      return Number(row!.id);
    };
    const lines: SummaryLine[] = [
      { creator: "https://b.example/users/x", amount: 1n, flattrs: 1, likes: ["https://a/1"] },
      { creator: "https://b.example/users/y", amount: 2n, flattrs: 1, likes: ["https://a/2"] },
    ];
    const accepted = await store(lines, await made("prune-accepted.example", "accepted"));
    const sent = await store(lines, await made("prune-sent.example", "sent"));
    for (const id of [accepted, sent]) await hashStoredLines(database.db, id, "EUR", true);
    const before = await summaryPageJson(database.db, accepted, 0, "EUR");
    expect(await pruneAcceptedSummaryPages(database.db)).toBe(1);
    const left = await queryRows<{ summary_id: string }>(
      database.db,
      sql`select summary_id::text from settlement_pages_out where summary_id in (${accepted}, ${sent})`,
    );
    expect(left.map((r) => Number(r.summary_id))).toEqual([sent]);
    expect(JSON.parse(await summaryPageJson(database.db, accepted, 0, "EUR"))).toEqual(
      JSON.parse(before),
    );
    expect(await pruneAcceptedSummaryPages(database.db)).toBe(0);
  });
});
