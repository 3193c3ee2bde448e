import { readFileSync } from "node:fs";

/*
 * One PostgreSQL backend's CPU per operation, variant against variant (bench/api/pg-cost.ts,
 * bench/mastodon/pg-cost.ts): each session runs its chunks on its own connection and reads its
 * backend's CPU from /proc around each chunk; the sessions take turns chunk by chunk, so the
 * machine's drift hits them alike. A backend's own CPU is blurred far less by other work on a
 * shared machine than throughput or the CPU of every postgres process.
 */

const TICK_MS = 10;

/** User + system CPU of process `pid` so far, in ms (/proc/<pid>/stat, 10 ms ticks). */
export function backendCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
}

const loadAverage = (): string =>
  readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

export interface CostSession {
  /** Runs `n` operations; answers its backend's CPU ms for them and how many succeeded. */
  chunk(n: number): Promise<{ ms: number; ok: number }>;
}

/**
 * Runs `total` operations in every session, `chunk` at a time in turn, prints each round (µs per
 * operation for each session, and the load average) to stderr, and answers µs per operation per
 * chunk for each session. Every operation must succeed: a failed one would cost less and lie.
 */
export async function interleavedCosts(
  names: readonly string[],
  sessions: readonly CostSession[],
  total: number,
  chunk: number,
): Promise<number[][]> {
  const results: number[][] = names.map(() => []);
  for (let done = 0; done < total; done += chunk) {
    const line: string[] = [];
    for (const [i, s] of sessions.entries()) {
      const { ms, ok } = await s.chunk(chunk);
      if (ok !== chunk) throw new Error(`${names[i]}: ${ok} of ${chunk} ok`);
      const us = (ms / chunk) * 1000;
      results[i]!.push(us);
      line.push(`${names[i]} ${us.toFixed(0)}`);
    }
    console.error(`${done + chunk} each: ${line.join(", ")} µs (load ${loadAverage()})`);
  }
  return results;
}

/** Prints each session's median, mean and lowest µs per operation under `title`. */
export function printCosts(title: string, names: readonly string[], results: number[][]): void {
  console.log(`\n${title}`);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  for (const [i, xs] of results.entries()) {
    const s = [...xs].sort((a, b) => a - b);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `  ${names[i]!.padEnd(width)} median ${s[Math.floor(s.length / 2)]!.toFixed(0)} µs, mean ${mean.toFixed(0)}, lowest ${s[0]!.toFixed(0)}`,
    );
  }
}
