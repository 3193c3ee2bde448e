import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { migrate } from "../../src/db/migrate.ts";
import { printCosts } from "../lib/backend-cost.ts";
import { createScratch, dropScratch, openScratch, type Scratch } from "../lib/scratch.ts";
import { freePort } from "./index.ts";
import { apiSizesFor, benchToken, payerId, requestFor, seedApi } from "./seed.ts";

/*
 * The server's own CPU per REST flattr request (issue 8, ADR 0036), version against version in
 * one run: each version of the code (a git revision, or "." for this working tree) runs the real
 * instance in its own process (js-cost-server.ts) on its own copy of one seeded database, and
 * autocannon sends each the same kind of requests (a new valid flattr each, bearer token, as
 * bench/api does) in chunks of `--chunk` requests, the versions taking turns chunk by chunk. Each
 * chunk's cost is the server process's user + system CPU (process.cpuUsage, read over IPC around
 * the chunk) over its requests: the database's CPU and the load generator's are left out, and so
 * is most of what another tenant of the machine does to throughput. Every request must answer 201.
 *
 *   npx tsx bench/api/js-cost.ts                                  # merge-base with main against .
 *   npx tsx bench/api/js-cost.ts --version before=e0aeb1e --version after=. --chunks 12
 *   npx tsx bench/api/js-cost.ts --cpu-prof /tmp/prof             # + a V8 profile per server
 */

const { values } = parseArgs({
  options: {
    version: { type: "string", multiple: true },
    chunks: { type: "string", default: "10" },
    chunk: { type: "string", default: "3000" },
    connections: { type: "string", default: "16" },
    "cpu-prof": { type: "string" },
    url: { type: "string" },
  },
});
const serverUrl =
  values.url ??
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  "postgres://root@127.0.0.1:5432/test";
const chunks = Number(values.chunks);
const chunk = Number(values.chunk);
const connections = Number(values.connections);
const here = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const git = (...args: string[]) =>
  execFileSync("git", ["-C", here, ...args], { encoding: "utf8" }).trim();
const versions = (
  values.version ?? [`before=${git("merge-base", "HEAD", "main").slice(0, 12)}`, "after=."]
).map((v) => {
  const [name, rev] = v.includes("=") ? v.split("=", 2) : [v, v];
  return { name: name!, rev: rev! };
});

/** A version's source tree: this one, or `rev`'s src/ exported next to our node_modules. */
function sourceTree(rev: string, temps: string[]): string {
  if (rev === ".") return here;
  const dir = mkdtempSync(join(tmpdir(), "ff-js-cost-"));
  temps.push(dir);
  execFileSync("sh", [
    "-c",
    `git -C '${here}' archive '${rev}' src drizzle package.json tsconfig.json | tar -x -C '${dir}'`,
  ]);
  symlinkSync(join(here, "node_modules"), join(dir, "node_modules"));
  return dir;
}

interface Server {
  proc: ChildProcess;
  port: number;
  cpuMs(): Promise<{ user: number; system: number }>;
  stop(): Promise<void>;
}

async function startServer(root: string, url: string, profDir?: string): Promise<Server> {
  const port = await freePort();
  const script = join(here, "bench/api/js-cost-server.ts");
  const prof = profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [];
  const proc = spawn(
    process.execPath,
    [...prof, "--import", "tsx", script, JSON.stringify({ root, url, port })],
    { cwd: root, stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const next = (type: string) =>
    new Promise<Record<string, number>>((res, rej) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        res(m as unknown as Record<string, number>);
      };
      const onExit = (code: number | null) => rej(new Error(`server exited (${code})`));
      proc.on("message", onMessage);
      proc.once("exit", onExit);
    });
  await next("ready");
  return {
    proc,
    port,
    cpuMs: async () => {
      const reply = next("cpu");
      proc.send({ type: "cpu" });
      const m = await reply;
      return { user: m.user! / 1000, system: m.system! / 1000 };
    },
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.send({ type: "stop" });
      await exited;
    },
  };
}

const sizes = apiSizesFor(1);
const nonce = randomBytes(16).toString("hex");
const tokens = Array.from({ length: sizes.payers }, (_, i) => benchToken(nonce, payerId(sizes, i)));

/** Sends `n` flattr requests, continuing the request sequence at `k`; answers the 201s. */
async function send(port: number, k: { next: number }, n: number): Promise<number> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: n,
    timeout: 10,
    requests: [
      {
        method: "POST",
        setupRequest: (req) => {
          const { payer, thing } = requestFor(sizes, k.next++);
          return {
            ...req,
            method: "POST",
            path: `/api/flattr/v1/things/${thing}/flattr`,
            headers: {
              ...req.headers,
              authorization: `Bearer ${tokens[payer - sizes.creators - 1]}`,
            },
          };
        },
      },
    ],
  });
  return r.statusCodeStats?.["201"]?.count ?? 0;
}

const temps: string[] = [];
const scratch: Scratch[] = [];
const servers: Server[] = [];
try {
  const seeded = await createScratch(serverUrl, "jscost");
  scratch.push(seeded);
  const d = openScratch(seeded);
  try {
    await migrate(d);
    await seedApi(d.db, sizes, nonce);
  } finally {
    await d.close();
  }
  const copies = [seeded];
  for (let i = 1; i < versions.length; i++)
    copies.push(await createScratch(serverUrl, "jscost", seeded.name));
  scratch.push(...copies.slice(1));
  if (values["cpu-prof"]) mkdirSync(values["cpu-prof"], { recursive: true });
  for (const [i, v] of versions.entries())
    servers.push(await startServer(sourceTree(v.rev, temps), copies[i]!.url, values["cpu-prof"]));
  const counters = versions.map(() => ({ next: 0 }));
  const systemShare: number[][] = versions.map(() => []);
  /** One chunk on server i: its CPU µs per request. Every request must be a 201. */
  const measure = async (i: number, n: number): Promise<number> => {
    const s = servers[i]!;
    const before = await s.cpuMs();
    const ok = await send(s.port, counters[i]!, n);
    const after = await s.cpuMs();
    if (ok !== n) throw new Error(`${versions[i]!.name}: ${ok} of ${n} answered 201`);
    const user = after.user - before.user;
    const system = after.system - before.system;
    systemShare[i]!.push(system / (user + system));
    return ((user + system) / n) * 1000;
  };
  // Warm-up: JIT, the pool's connections, prepared statements.
  for (const i of versions.keys()) await measure(i, Math.min(chunk, 2000));
  for (const share of systemShare) share.length = 0;
  const names = versions.map((v) => `${v.name} (${v.rev})`);
  const results: number[][] = versions.map(() => []);
  // The versions take turns chunk by chunk, each round starting one further along, so that no
  // version always runs first (or last) in a round.
  for (let round = 0; round < chunks; round++) {
    const line: string[] = [];
    for (let j = 0; j < versions.length; j++) {
      const i = (round + j) % versions.length;
      const us = await measure(i, chunk);
      results[i]!.push(us);
      line.push(`${names[i]} ${us.toFixed(0)}`);
    }
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    console.error(`round ${round + 1}: ${line.join(", ")} µs (load ${load})`);
  }
  printCosts(
    `server CPU per REST flattr request (user + system, ${connections} connections, ${chunks} chunks of ${chunk})`,
    names,
    results,
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [i, n] of names.entries())
    console.log(`  ${n}: system share median ${(median(systemShare[i]!) * 100).toFixed(0)} %`);
  for (let i = 1; i < names.length; i++) {
    const diffs = results[i]!.map((x, j) => x - results[0]![j]!);
    console.log(
      `  ${names[i]} − ${names[0]}: median of the chunks' differences ${median(diffs).toFixed(1)} µs (${diffs.map((x) => x.toFixed(0)).join(", ")})`,
    );
  }
} finally {
  for (const s of servers) await s.stop().catch(() => {});
  for (const s of scratch) await dropScratch(serverUrl, s.name).catch(() => {});
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}
