// Start-up problems of the surroundings (the port taken, the data directory not writable,
// PostgreSQL down) are one line naming the setting, exit code 2, no stack trace; HOST is bound
// and the log names the address really bound. The real CLI, spawned as an operator runs it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { freePort } from "../helpers/instance.ts";
import { until } from "../helpers/wait.ts";

const bin = fileURLToPath(new URL("../../bin/fediflattr.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "ff-startup-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function serve(env: Record<string, string>): Run {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [bin, "serve"], {
    env: { ...childEnv, LOG_LEVEL: "info", REGISTRATION: "open", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    err += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

/** One line, naming the setting, without a stack trace. */
function expectOneLine(stderr: string, setting: string) {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain(setting);
  expect(stderr).not.toMatch(/\n\s+at /);
}

it("binds HOST, logs the address it bound, and says a taken port in one line", async () => {
  const port = await freePort();
  const first = serve({
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: join(tmp, "first"),
    ORIGIN: "https://flattr.example",
  });
  await until(() => first.out().includes("listening on"), {
    what: "the first server to listen",
    timeoutMs: 90_000,
  });
  expect(first.out()).toContain(`listening on http://127.0.0.1:${port}/`);

  const second = serve({
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: join(tmp, "second"),
    LOG_LEVEL: "error", // not the setup link: only what went wrong
  });
  expect(await second.exit).toBe(2);
  expectOneLine(second.err(), "PORT");
  expect(second.err()).toContain(`Port ${port} is already in use`);

  first.child.kill("SIGTERM");
  expect(await first.exit).toBe(0);
}, 180_000);

it("says a data directory it cannot write in one line", async () => {
  // Running as root ignores permission bits; a file where the directory should be fails for all.
  const file = join(tmp, "a-file");
  writeFileSync(file, "not a directory");
  const run = serve({ DATA_DIR: join(file, "data"), PORT: String(await freePort()) });
  expect(await run.exit).toBe(2);
  expectOneLine(run.err(), "DATA_DIR");
  expect(run.err()).toContain("is not a directory");
}, 60_000);

it("says PostgreSQL cannot be reached in one line, without the password", async () => {
  const port = await freePort(); // nothing listens there
  const run = serve({
    DATABASE_URL: `postgres://someone:secret@127.0.0.1:${port}/fediflattr`,
    PORT: String(await freePort()),
  });
  expect(await run.exit).toBe(2);
  expectOneLine(run.err(), "DATABASE_URL");
  expect(run.err()).toContain("ECONNREFUSED");
  expect(run.err()).not.toContain("secret");
}, 60_000);

it("refuses a HOST that is not an address", async () => {
  const run = serve({ HOST: "http://x:80", PORT: String(await freePort()) });
  expect(await run.exit).toBe(2);
  expectOneLine(run.err(), "HOST");
}, 60_000);
