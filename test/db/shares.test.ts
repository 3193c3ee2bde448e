// The split the close posts and the pages show is one definition: the SQL in
// settlement/shares.ts and its TypeScript twin in money/ (fee(), shareAt(), perFlattr()) agree
// on the real database for any amount, flattr count and fee rate.

import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client.ts";
import { allocate } from "../../src/money/allocate.ts";
import { fee } from "../../src/money/fee.ts";
import { perFlattr, shareAt, shares } from "../../src/money/split.ts";
import { feeSql, shareSql } from "../../src/settlement/shares.ts";
import { idKey } from "../helpers/close-oracle.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

it("fee and shares in SQL equal the TypeScript twin, and sum to the amount", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.bigInt({ min: 0n, max: 10n ** 17n }),
        // The largest amounts int8 holds: amount × fee_bp must not overflow on the way.
        fc.bigInt({ min: 2n ** 63n - 10_000n, max: 2n ** 63n - 1n }),
      ),
      fc.integer({ min: 1, max: 40 }),
      fc.oneof(fc.constantFrom(0, 1, 999, 1000, 9999, 10000), fc.integer({ min: 0, max: 10000 })),
      async (amount, n, feeBp) => {
        const a = sql`${amount.toString()}::int8`;
        const rows = await queryRows<{ fee: string; share: string }>(
          database.db,
          sql`select ${feeSql(a, feeBp)}::text as fee,
                     ${shareSql(sql`${a} - ${feeSql(a, feeBp)}`, sql`${n}::int4`, sql`g`)}::text as share
              from generate_series(1, ${n}::int4) g order by g`,
        );
        const f = fee(amount, feeBp);
        expect(BigInt(rows[0]!.fee)).toBe(f);
        const sqlShares = rows.map((r) => BigInt(r.share));
        const net = amount - f;
        // Rank by rank, the twin gives what SQL gives.
        expect(sqlShares).toEqual(sqlShares.map((_, i) => shareAt(net, n, i + 1)));
        expect(shares(net, n)).toEqual(sqlShares);
        // allocate() over keys in id order is the same split.
        const ids = Array.from({ length: n }, (_, i) => idKey(i + 1));
        const want = allocate(net, ids);
        expect(sqlShares).toEqual(ids.map((k) => want.get(k)));
        expect(sqlShares.reduce((s, x) => s + x, 0n) + f).toBe(amount);
        // "About X each" is the last-ranked (newest) flattr's share, exact when all are equal.
        const each = perFlattr(net, n);
        expect(each.each).toBe(sqlShares[n - 1]);
        expect(each.exact).toBe(sqlShares.every((s) => s === sqlShares[0]));
      },
    ),
    { numRuns: 200 },
  );
});
