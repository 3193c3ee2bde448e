// The SQL split the close posts and the pages show (settlement/shares.ts) agrees with the money
// module's fee() and allocate() for any amount, flattr count and fee rate.

import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Database, queryRows } from "../../src/db/client.ts";
import { allocate } from "../../src/money/allocate.ts";
import { fee } from "../../src/money/fee.ts";
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

it("fee and shares in SQL equal fee() and allocate(), and sum to the amount", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 10n ** 17n })),
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
        const ids = Array.from({ length: n }, (_, i) => idKey(i + 1));
        const want = allocate(amount - f, ids);
        expect(rows.map((r) => BigInt(r.share))).toEqual(ids.map((k) => want.get(k)));
        expect(rows.reduce((s, r) => s + BigInt(r.share), 0n) + f).toBe(amount);
      },
    ),
    { numRuns: 200 },
  );
});
