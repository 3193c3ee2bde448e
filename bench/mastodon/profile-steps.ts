import { verifyAccessToken } from "../../src/accounts/tokens.ts";
import { loadConfig } from "../../src/config/config.ts";
import { migrate } from "../../src/db/migrate.ts";
import { starFacts } from "../../src/flattr/status-flattrs.ts";
import { flattrStatus } from "../../src/flattr/use-cases/flattr-status.ts";
import { accountStats } from "../../src/social/account-stats.ts";
import { mentionsOf, statusById } from "../../src/social/timelines.ts";
import { apiSizesFor, benchToken, payerId, requestFor, seedApi, statusIdFor } from "../api/seed.ts";
import { createScratch, dropScratch, newPglite, openScratch } from "../lib/scratch.ts";

/*
 * Where a favourite's time goes, step by step (sequential, no load): `npx tsx
 * bench/mastodon/profile-steps.ts` on PostgreSQL, `… --pglite` on in-memory PGlite.
 */
const url = process.env.TEST_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/test";
const onPglite = process.argv.includes("--pglite");
const s = onPglite ? null : await createScratch(url, "mprof");
const d = s ? openScratch(s) : (await newPglite()).database;
try {
  await migrate(d);
  const sizes = apiSizesFor(0.2);
  await seedApi(d.db, sizes, "n", { mastodon: true });
  const config = loadConfig({
    ORIGIN: "http://127.0.0.1:1",
    CURRENCY: "EUR",
    TIME_ZONE: "UTC",
    ...(s ? { DATABASE_URL: s.url } : {}),
  });
  const clock = { now: () => new Date() };
  const db = d.db;
  const N = onPglite ? 50 : 300;
  const time = async (name: string, f: (k: number) => Promise<unknown>) => {
    const t = performance.now();
    const c0 = process.cpuUsage();
    for (let k = 0; k < N; k++) await f(k);
    const c = process.cpuUsage(c0);
    console.log(
      `${name}: ${((performance.now() - t) / N).toFixed(2)} ms/op, js cpu ${((c.user + c.system) / 1000 / N).toFixed(2)} ms`,
    );
  };
  await time("verifyAccessToken", (k) =>
    verifyAccessToken(db, clock, benchToken("n", payerId(sizes, k))),
  );
  await time("statusById", (k) =>
    statusById(db, config, statusIdFor(requestFor(sizes, k).thing), payerId(sizes, k)),
  );
  await time("starFacts", (k) =>
    starFacts(db, clock, config, payerId(sizes, k), [requestFor(sizes, k).thing]),
  );
  await time("mentionsOf", (k) =>
    mentionsOf(db, config, [statusIdFor(requestFor(sizes, k).thing)]),
  );
  await time("accountStats", (k) =>
    accountStats(db, ((requestFor(sizes, k).thing - 1) / 5 + 1) | 0),
  );
  await time("flattrStatus", (k) =>
    flattrStatus(
      { db, clock, config },
      payerId(sizes, k),
      statusIdFor(requestFor(sizes, k).thing),
      { appId: 1 },
    ),
  );
} finally {
  await d.close();
  if (s) await dropScratch(url, s.name);
}
