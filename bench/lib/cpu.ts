import { readdirSync, readFileSync } from "node:fs";

/*
 * Where the CPU of a load run goes, read from /proc (Linux): the whole machine's busy time and
 * the database's (every process named `postgres`). With the server's own CPU (process.cpuUsage,
 * over IPC) and the load generator's (this process), a run's CPU splits into its parts, which
 * tells whether a server is limited by its own code, by the database or by the machine.
 * Elsewhere (no /proc) every reading is null.
 */

/** Linux reports process and machine times in clock ticks of 1/100 s (USER_HZ). */
const TICK_MS = 10;

/** Busy (non-idle, non-iowait) CPU time of the whole machine so far, all cores summed. */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const [, ...fields] = line.trim().split(/\s+/);
    const t = fields.map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = t[0]! + t[1]! + t[2]! + t[5]! + t[6]! + t[7]!;
    return busy * TICK_MS;
  } catch {
    return null;
  }
}

/** Idle and total jiffies of the whole machine so far (idle includes iowait). */
function machineTicks(): { idle: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: t[3]! + t[4]!, total: t.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/**
 * The machine's idle share (0–1, all cores) over the next `ms` milliseconds, read from /proc/stat.
 * Measured before each pair of runs, so a figure can say how quiet the machine was: on a shared
 * machine another tenant's load slows the two servers unequally (ADR-free rule of thumb: trust a
 * pair only when the machine was at least ~90 % idle just before it). Null without /proc.
 */
export async function machineIdleShare(ms: number): Promise<number | null> {
  const a = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineTicks();
  if (!a || !b || b.total === a.total) return null;
  return (b.idle - a.idle) / (b.total - a.total);
}

/** CPU time used so far by the processes named `postgres` that are alive now. */
export function postgresCpuMs(): Map<number, number> | null {
  try {
    const out = new Map<number, number>();
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      if (comm !== "postgres") continue;
      const rest = stat.slice(close + 2).split(" ");
      // fields 14 and 15 of stat (utime, stime); rest starts at field 3
      out.set(Number(name), (Number(rest[11]) + Number(rest[12])) * TICK_MS);
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * The database's CPU between two readings: processes present in both count their difference,
 * new ones (connections opened during the run) all of theirs. Processes that ended during the
 * run are missed, so this is a lower bound; the servers keep their pools open, so it is close.
 */
export function postgresCpuBetween(
  before: Map<number, number> | null,
  after: Map<number, number> | null,
): number | null {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}
