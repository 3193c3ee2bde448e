import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Who holds a data directory, written into the lock file so that a refused process can say what
 * to do instead ("a server runs at … : use its page", "wait for `fediflattr close`").
 */
export interface LockHolder {
  /** The CLI command that took the lock; "serve" is a running server. */
  command: string;
  /** The server's public origin (ORIGIN), when it is one. */
  origin?: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
    /** Unknown when the holder wrote no description (tests, an older version). */
    readonly holder?: LockHolder,
  ) {
    super(
      `The data directory ${dir} is in use by another Fediflattr process (pid ${pid}). ` +
        "The embedded database allows one process only: stop the other one, or set DATABASE_URL " +
        "to run several processes on PostgreSQL.",
    );
    this.name = "DataDirLockedError";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock file: the pid on the first line, the holder as JSON on the second (optional). */
function readLock(path: string): { pid: number; holder?: LockHolder } {
  const [first = "", second = ""] = readFileSync(path, "utf8").split("\n");
  const pid = Number(first.trim());
  let holder: LockHolder | undefined;
  try {
    const parsed = JSON.parse(second) as Partial<LockHolder>;
    if (typeof parsed.command === "string") {
      holder = { command: parsed.command };
      if (typeof parsed.origin === "string") holder.origin = parsed.origin;
    }
  } catch {}
  return { pid, holder };
}

/**
 * Takes `<dir>/fediflattr.lock`; a lock left by a dead process is taken over. The file is written
 * whole under a private name and then hard-linked into place (which fails if it exists), so no
 * other process ever reads a half-written lock and mistakes it for a stale one.
 */
export function acquireDataDirLock(dir: string, holder?: LockHolder): () => void {
  const path = join(dir, "fediflattr.lock");
  const draft = join(dir, `fediflattr.lock.${process.pid}`);
  writeFileSync(draft, `${process.pid}\n${holder ? JSON.stringify(holder) : ""}\n`);
  try {
    return take(dir, path, draft);
  } finally {
    unlinkSync(draft);
  }
}

function take(dir: string, path: string, draft: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      linkSync(draft, path);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          unlinkSync(path);
        } catch {}
      };
      process.once("exit", release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const { pid, holder: other } = readLock(path);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirLockedError(dir, pid, other);
      }
      if (pid === process.pid) throw new DataDirLockedError(dir, pid, other);
      unlinkSync(path); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}
