import { randomBytes } from "node:crypto";
import { createApp } from "../../src/app.ts";
import { systemClock } from "../../src/config/clock.ts";
import { loadConfig } from "../../src/config/config.ts";
import { migrate } from "../../src/db/migrate.ts";
import { apiSizesFor, benchToken, requestFor, seedApi, statusIdFor } from "../api/seed.ts";
import { createScratch, dropScratch, openScratch } from "../lib/scratch.ts";

/*
 * The server's JavaScript CPU per request, favourite against REST flattr (issue 11 point 6),
 * without HTTP and without load: the real app (`createApp`, in this process, `app.fetch`) on
 * PostgreSQL, one request at a time, the two routes interleaved in chunks so that the machine's
 * drift hits both alike. The figure is this process's CPU (process.cpuUsage) per request, which
 * a shared machine blurs less than throughput; it leaves out the HTTP server (parsing, the
 * socket write) and the database's CPU. Each route sends one statement here (ADR 0028, 0031).
 * `node --cpu-prof` profiles it.
 *
 *   npx tsx bench/mastodon/js-cost.ts [--requests 4000] [--chunk 500]
 */

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(args[i + 1]);
};
const REQUESTS = opt("requests", 4000);
const CHUNK = opt("chunk", 500);
const url = process.env.TEST_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/test";
const s = await createScratch(url, "mjs");
const database = openScratch(s, 10);
try {
  await migrate(database);
  const sizes = apiSizesFor(1);
  const nonce = randomBytes(8).toString("hex");
  await seedApi(database.db, sizes, nonce, { mastodon: true });
  const config = loadConfig({
    ORIGIN: "http://127.0.0.1:9",
    CURRENCY: "EUR",
    TIME_ZONE: "UTC",
    DATABASE_URL: s.url,
  });
  const app = createApp({ config, database, clock: systemClock });
  const kinds = {
    favourite: (thing: number) => `/api/v1/statuses/${statusIdFor(thing)}/favourite`,
    "REST flattr": (thing: number) => `/api/flattr/v1/things/${thing}/flattr`,
  };
  // Request k of each kind: the favourites take even k, the REST flattrs odd ones (no overlap).
  const next = { favourite: 0, "REST flattr": 1 };
  const cpu: Record<string, number[]> = { favourite: [], "REST flattr": [] };
  const bytes: Record<string, number> = { favourite: 0, "REST flattr": 0 };
  for (let done = -CHUNK; done < REQUESTS; done += CHUNK) {
    for (const [kind, path] of Object.entries(kinds) as [
      keyof typeof kinds,
      typeof kinds.favourite,
    ][]) {
      const c0 = process.cpuUsage();
      for (let n = 0; n < CHUNK; n++) {
        const { payer, thing } = requestFor(sizes, next[kind]);
        next[kind] += 2;
        const res = await app.fetch(
          new Request(`http://127.0.0.1:9${path(thing)}`, {
            method: "POST",
            headers: { authorization: `Bearer ${benchToken(nonce, payer)}` },
          }),
        );
        const body = await res.text();
        if (res.status >= 300) throw new Error(`${kind}: ${res.status} ${body}`);
        if (done >= 0) bytes[kind] = (bytes[kind] ?? 0) + body.length;
      }
      const c = process.cpuUsage(c0);
      if (done < 0) continue; // warm-up
      cpu[kind]!.push((c.user + c.system) / CHUNK);
    }
  }
  console.log(`JS CPU per request (µs), ${REQUESTS} each in chunks of ${CHUNK}, one at a time:`);
  for (const [kind, xs] of Object.entries(cpu)) {
    const sorted = [...xs].sort((a, b) => a - b);
    console.log(
      `  ${kind.padEnd(12)} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)}, lowest ${sorted[0]!.toFixed(0)}; ${(bytes[kind]! / REQUESTS).toFixed(0)} bytes answered per request`,
    );
  }
} finally {
  await database.close();
  await dropScratch(url, s.name);
}
