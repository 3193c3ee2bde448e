// The CLI run against a data directory a running server holds (the embedded database admits one
// process): exit 3, saying so and naming what to do instead.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testConfig } from "../../src/config/config.ts";
import { queryRows } from "../../src/db/client.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { runCliInProcess } from "../helpers/cli.ts";
import { freePort } from "../helpers/instance.ts";

const bin = fileURLToPath(new URL("../../bin/fediflattr.js", import.meta.url));
let dir: string;
let origin: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ff-held-"));
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  // The server opens the data directory itself, as `npm start` does.
  server = await startServer(
    testConfig({ DATA_DIR: dir, ORIGIN: origin, PORT: String(port), LOG_LEVEL: "error" }),
    { role: "web", hostname: "127.0.0.1" },
  );
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ DATA_DIR: dir, ORIGIN: origin, LOG_LEVEL: "error", DATABASE_URL: undefined });

function cliProcess(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...env() })) {
      if (v !== undefined) childEnv[k] = v;
    }
    const child = spawn(process.execPath, [bin, ...args], {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const held = `is held by a running Fediflattr server (pid ${process.pid}, `;

it("another process: exit 3, the server named, its deposits page offered, nothing written", async () => {
  const r = await cliProcess(["deposit", "alice", "25.00", "--reference", "TX-1"]);
  expect(r.code).toBe(3);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(`The data directory ${dir} ${held}${origin})`);
  expect(r.stderr).toContain(
    `Record the transfer on the server's page instead: ${origin}/admin/deposits`,
  );
  expect(r.stderr).toContain(
    `Or stop the server (Ctrl-C in its terminal, or \`kill ${process.pid}\`)`,
  );
  // The server kept its database and still serves.
  const entries = await queryRows(server.deps.database.db, sql`select 1 from ledger_entries`);
  expect(entries).toEqual([]);
  expect((await fetch(`${origin}/login`)).status).toBe(200);
}, 180_000);

it("each command names the page that does the same, or why stopping the server is the way", async () => {
  const expected: [string[], string][] = [
    [["token", "create", "bob"], `${origin}/settings/tokens (logged in as @bob)`],
    [["invite", "create", "--count", "2"], `${origin}/invites`],
    [
      ["user", "create", "root", "--email", "r@example.org", "--admin", "--password", "pw123456"],
      `open the setup URL the server printed when it started (${origin}/setup/…`,
    ],
    [
      ["user", "create", "bob", "--email", "b@example.org", "--password", "pw123456"],
      `${origin}/signup`,
    ],
    [["close"], "The server's worker closes each month by itself"],
    [["migrate"], "The server applied the migrations when it started"],
    [["ledger", "check"], "Stop the server (Ctrl-C"],
  ];
  for (const [args, hint] of expected) {
    const r = await runCliInProcess(args, env());
    expect({ args, code: r.code }).toEqual({ args, code: 3 });
    expect(r.stderr).toContain(held);
    expect(r.stderr).toContain(hint);
  }
  const serve = await runCliInProcess(["serve"], env());
  expect(serve.code).toBe(3);
  expect(serve.stderr).toContain(
    `is already served by a running Fediflattr server (pid ${process.pid}`,
  );
  expect(serve.stderr).toContain("stop that server first, or set DATABASE_URL");
  // A wrong command line is still a usage error (2): arguments are checked before the database.
  expect((await runCliInProcess(["deposit", "alice"], env())).code).toBe(2);
});
