import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
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

/** Takes `<dir>/fediflattr.lock` (O_EXCL); a lock left by a dead process is taken over. */
export function acquireDataDirLock(dir: string): () => void {
  const path = join(dir, "fediflattr.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        // A process that opens and closes the database many times (tests, a CLI run in-process)
        // must not pile up exit listeners.
        process.off("exit", release);
        try {
          unlinkSync(path);
        } catch {}
      };
      process.once("exit", release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirLockedError(dir, pid);
      }
      if (pid === process.pid) throw new DataDirLockedError(dir, pid);
      unlinkSync(path); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}
