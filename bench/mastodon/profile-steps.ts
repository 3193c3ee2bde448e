import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { tokenCredential, verifyAccessToken } from "../../src/accounts/tokens.ts";
import { loadConfig } from "../../src/config/config.ts";
import { queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { starFacts } from "../../src/flattr/status-flattrs.ts";
import { flattrStatus } from "../../src/flattr/use-cases/flattr-status.ts";
import { starByToken } from "../../src/flattr/use-cases/star-by-token.ts";
import { accountStats } from "../../src/social/account-stats.ts";
import { mentionsOf, statusById } from "../../src/social/timelines.ts";
import { apiSizesFor, benchToken, payerId, requestFor, seedApi, statusIdFor } from "../api/seed.ts";
import { createScratch, dropScratch, newPglite, openScratch } from "../lib/scratch.ts";

/*
 * Where a favourite's time goes, step by step (sequential, no load): `npx tsx
 * bench/mastodon/profile-steps.ts` on PostgreSQL, `… --pglite` on in-memory PGlite. On
 * PostgreSQL the steps run on one connection whose server process's CPU is read from /proc
 * (`pg cpu`): a figure other work on the machine does not blur, unlike the load benchmarks'.
 * The ordinary star is the first six steps (token, status, the flattr door, then the answer's
 * star facts, mentions and author counts); the one-statement star (ADR 0028) is the last.
 */
const url = process.env.TEST_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/test";
const onPglite = process.argv.includes("--pglite");
const s = onPglite ? null : await createScratch(url, "mprof");
const d = s ? openScratch(s, 1) : (await newPglite()).database;
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
  const N = onPglite ? 50 : 1000;
  // The one server process behind the one connection: its CPU in ms (utime + stime, 10 ms ticks).
  const [backend] = s
    ? await queryRows<{ pid: number }>(db, sql`select pg_backend_pid() as pid`)
    : [undefined];
  const pgCpuMs = (): number => {
    if (!backend) return 0;
    const fields = readFileSync(`/proc/${backend.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  const time = async (name: string, f: (k: number) => Promise<unknown>, from = 0) => {
    const t = performance.now();
    const c0 = process.cpuUsage();
    const p0 = pgCpuMs();
    for (let k = from; k < from + N; k++) await f(k);
    const c = process.cpuUsage(c0);
    const pg = backend ? `, pg cpu ${((pgCpuMs() - p0) / N).toFixed(2)} ms` : "";
    console.log(
      `${name}: ${((performance.now() - t) / N).toFixed(2)} ms/op, js cpu ${((c.user + c.system) / 1000 / N).toFixed(2)} ms${pg}`,
    );
  };
  console.log(`load average ${readFileSync("/proc/loadavg", "utf8").trim()}`);
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
  await time(
    "starByToken (one statement: token, status, flattr, whole answer)",
    (k) =>
      starByToken(
        { db, clock, config },
        tokenCredential(benchToken("n", payerId(sizes, k)), clock.now())!,
        statusIdFor(requestFor(sizes, k).thing),
      ),
    N,
  );
  await time(
    "REST flattr for comparison (one statement: token, flattr)",
    (k) =>
      flattr(
        db,
        clock,
        config,
        tokenCredential(benchToken("n", payerId(sizes, k)), clock.now())!,
        requestFor(sizes, k).thing,
      ),
    2 * N,
  );
} finally {
  await d.close();
  if (s) await dropScratch(url, s.name);
}
