import { randomBytes } from "node:crypto";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { tokenCredential } from "../../src/accounts/tokens.ts";
import { systemClock } from "../../src/config/clock.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { Db } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import * as schema from "../../src/db/schema/index.ts";
import { flattrCall } from "../../src/flattr/flattr.ts";
import { flattrMany } from "../../src/flattr/flattr-batch.ts";
import { starMany } from "../../src/flattr/star-batch.ts";
import { apiSizesFor, benchToken, requestFor, seedApi, statusIdFor } from "../api/seed.ts";
import { createScratch, dropScratch, openScratch } from "../lib/scratch.ts";

/*
 * The plans of one star batch (or REST flattr batch) as the real statement runs them, nested
 * statements included (auto_explain with ANALYZE and BUFFERS, sent to this client as notices),
 * after a warm-up that lets the prepared statement and the functions settle on their generic
 * plans.
 *
 *   npx tsx bench/mastodon/explain-star.ts [--batch 6] [--warm 100] [star|rest]
 */
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  return Number(args.splice(i, 2)[1]);
};
const BATCH = opt("batch", 6);
const WARM = opt("warm", 100);
const kind = args[0] ?? "star";
const url =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://root@127.0.0.1:5432/test";

const seeded = await createScratch(url, "starplan");
const nonce = randomBytes(8).toString("hex");
try {
  const database = openScratch(seeded, 2);
  await migrate(database);
  const sizes = apiSizesFor(1);
  await seedApi(database.db, sizes, nonce, { mastodon: true });
  await database.close();
  let logging = false;
  const client = postgres(seeded.url, {
    max: 1,
    types: {},
    onnotice: (n) => {
      if (logging) console.log(n.message);
    },
  });
  await client.unsafe("vacuum analyze");
  const db = drizzle(client, { schema }) as unknown as Db;
  const clock = systemClock;
  const config = loadConfig({
    ORIGIN: "http://127.0.0.1:9",
    CURRENCY: "EUR",
    TIME_ZONE: "UTC",
    DATABASE_URL: seeded.url,
  });
  let k = 0;
  const batch = async () => {
    const calls = Array.from({ length: BATCH }, (_, i) => {
      const { payer, thing } = requestFor(sizes, k + i);
      const token = tokenCredential(benchToken(nonce, payer), clock.now())!;
      return { c: flattrCall(clock, config, token, thing), statusId: statusIdFor(thing) };
    });
    k += BATCH;
    if (kind === "rest")
      return flattrMany(
        db,
        calls.map((x) => x.c),
      );
    return starMany(
      db,
      calls.map(({ c, statusId }) => {
        const { payerId: _p, appId: _a, thingId: _t, tokenHash, ...rest } = c;
        return { ...rest, tokenHash: tokenHash!, statusId };
      }),
    );
  };
  for (let i = 0; i < WARM; i++) await batch();
  await client.unsafe(`load 'auto_explain'`);
  await client.unsafe(`set auto_explain.log_min_duration = 0`);
  await client.unsafe(`set auto_explain.log_analyze = on`);
  await client.unsafe(`set auto_explain.log_buffers = on`);
  await client.unsafe(`set auto_explain.log_timing = on`);
  await client.unsafe(`set auto_explain.log_nested_statements = on`);
  await client.unsafe(`set client_min_messages = log`);
  logging = true;
  const rows = await batch();
  logging = false;
  console.log(JSON.stringify(rows[0], null, 1).slice(0, 400));
  await client.end({ timeout: 5 });
} finally {
  await dropScratch(url, seeded.name);
}
