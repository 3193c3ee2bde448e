import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listInvites } from "../../src/accounts/invites.ts";
import { authenticate, findUserByUsername } from "../../src/accounts/users.ts";
import { type Database, openPglite, openPostgres } from "../../src/db/client.ts";
import { runCliInProcess } from "../helpers/cli.ts";
import { createPostgresDatabaseUrl, usingPostgres } from "../helpers/db.ts";

const bin = fileURLToPath(new URL("../../bin/fediflattr.js", import.meta.url));
let dataDir: string;
let pg: { url: string; drop(): Promise<void> } | undefined;
/** Children still running when a test gives up would hold the data directory's lock. */
const children = new Set<ChildProcess>();
// A new process boots tsx and the whole import graph; on a loaded machine that takes a while.
const SPAWN_TIMEOUT = 180_000;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ff-cli-"));
  if (usingPostgres) pg = await createPostgresDatabaseUrl();
});
afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await pg?.drop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cliEnv(): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    REGISTRATION: "invite",
    ORIGIN: "https://flattr.example",
    LOG_LEVEL: "warning",
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
}

/** Runs the real CLI as an operator would, in a new process; stdin is a pipe, not a terminal. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...cliEnv() };
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    children.add(child);
    child.on("exit", () => children.delete(child));
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
    child.stdin.end();
  });
}

/**
 * The same through `main()` in this process: a new process costs seconds (tsx, the whole import
 * graph), so the many refusal cases run here.
 */
async function inProcess(...args: string[]): Promise<Run> {
  return runCliInProcess(args, { DATABASE_URL: undefined, ...cliEnv() });
}

/** The CLI's database, opened after the CLI has exited (PGlite allows one process at a time). */
async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const database = pg ? openPostgres(pg.url, { max: 1 }) : await openPglite(dataDir);
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

describe("fediflattr user create / invite create", () => {
  it(
    "creates the first admin on a fresh data directory",
    async () => {
      const run = await cli(
        "user",
        "create",
        "admin",
        "--email",
        "admin@example.org",
        "--admin",
        "--password",
        "a long password",
      );
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Created administrator @admin \(id \d+\)\.\n$/);
      await withDb(async ({ db }) => {
        const user = await findUserByUsername(db, "admin");
        expect(user).toMatchObject({ isAdmin: true, email: "admin@example.org" });
        expect((await authenticate(db, "admin", "a long password"))?.id).toBe(user!.id);
      });
    },
    SPAWN_TIMEOUT,
  );

  it("creates a normal user; refuses duplicates and bad input with a message", async () => {
    const ok = await inProcess(
      "user",
      "create",
      "Bob",
      "--email",
      "bob@example.org",
      "--password",
      "password123",
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Created user @Bob");

    const dup = await inProcess(
      "user",
      "create",
      "bob",
      "--email",
      "b2@example.org",
      "--password",
      "password123",
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('The username "bob" is already taken.');

    const bad = await inProcess(
      "user",
      "create",
      "no way",
      "--email",
      "x@example.org",
      "--password",
      "password123",
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("letters");

    const short = await inProcess(
      "user",
      "create",
      "carol",
      "--email",
      "c@example.org",
      "--password",
      "short",
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("at least 8");

    const noEmail = await inProcess("user", "create", "carol", "--password", "password123");
    expect(noEmail.code).toBe(2);
    expect(noEmail.stderr).toContain("--email is required");
    expect(noEmail.stderr).toContain("Usage: fediflattr user create <username>");
  });

  it(
    "refuses to prompt for a password when stdin is not a terminal",
    async () => {
      const run = await cli("user", "create", "dora", "--email", "dora@example.org");
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("stdin is not a terminal");
      await withDb(async ({ db }) => expect(await findUserByUsername(db, "dora")).toBeNull());
    },
    SPAWN_TIMEOUT,
  );

  it(
    "prints invite codes one per line, for the operator or for a user",
    async () => {
      const three = await cli("invite", "create", "--count", "3");
      expect(three.code).toBe(0);
      const codes = three.stdout.trim().split("\n");
      expect(codes).toHaveLength(3);
      for (const code of codes) expect(code).toMatch(/^[0-9a-z]{16}$/);
      expect(three.stderr).toContain("https://flattr.example/signup?invite=<code>");

      // --for ignores the per-user quota: the operator decides.
      const forBob = await inProcess("invite", "create", "--for", "bob", "--count", "5");
      expect(forBob.code).toBe(0);
      const bobCodes = forBob.stdout.trim().split("\n");
      expect(bobCodes).toHaveLength(5);
      await withDb(async ({ db }) => {
        const bob = (await findUserByUsername(db, "bob"))!;
        expect((await listInvites(db, bob.id)).map((i) => i.code).sort()).toEqual(bobCodes.sort());
      });

      const one = await inProcess("invite", "create");
      expect(one.stdout.trim()).toMatch(/^[0-9a-z]{16}$/);

      const nobody = await inProcess("invite", "create", "--for", "nobody");
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toContain('There is no user "nobody"');
      for (const count of ["0", "abc", "1001", "-1"]) {
        const bad = await inProcess("invite", "create", "--count", count);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("Usage: fediflattr invite create");
      }
    },
    SPAWN_TIMEOUT,
  );
});
