import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, expect, it } from "vitest";
import { DataDirLockedError, openPglite, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";

/** The embedded database: data survives a restart, and a second process is refused. */
const dir = mkdtempSync(join(tmpdir(), "ff-datadir-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["bin/fediflattr.js", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

it("keeps data across a restart and refuses a second process on the same directory", async () => {
  const first = await openPglite(dir);
  await migrate(first);
  await first.db.execute(
    sql`insert into users (username, email, password_hash) values ('kept', 'kept@example.org', 'x')`,
  );

  // Same process, second open: refused before PGlite touches the files.
  await expect(openPglite(dir)).rejects.toBeInstanceOf(DataDirLockedError);
  // Another process: `serve` exits with code 3 and says why, without touching the data.
  const other = await runCli(["serve"], { DATA_DIR: dir, PORT: "18099", LOG_LEVEL: "error" });
  expect(other.code).toBe(3);
  expect(other.stderr).toContain(`in use by another Fediflattr process (pid ${process.pid})`);
  expect(other.stderr).toContain("DATABASE_URL");

  await first.close();
  const again = await openPglite(dir);
  await migrate(again);
  const rows = await queryRows<{ username: string }>(again.db, sql`select username from users`);
  expect(rows.map((r) => r.username)).toEqual(["kept"]);
  await again.close();
}, 180_000);

it("takes over a lock left by a process that died", async () => {
  const stale = mkdtempSync(join(tmpdir(), "ff-stale-"));
  try {
    // A pid far above any real one on this machine: its process cannot exist.
    writeFileSync(join(stale, "fediflattr.lock"), "4194300");
    const db = await openPglite(stale);
    await db.close();
  } finally {
    rmSync(stale, { recursive: true, force: true });
  }
});
