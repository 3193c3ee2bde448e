// The CLI's runner (src/cli/runner.ts): what each command is given, what is opened, migrated and
// closed for it, and the exit codes README.md documents.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli/runner.ts";
import { type Command, command, parse, UsageError } from "../../src/cli/usage.ts";
import { type Clock, fixedClock, systemClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, openDatabase, openPglite, queryRows } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import type { Deps } from "../../src/deps.ts";
import { captureConsole } from "../helpers/cli.ts";
import { createPostgresDatabaseUrl, createTestDatabase, usingPostgres } from "../helpers/db.ts";

// Counts the runner's migrations; the real migration still runs.
vi.mock("../../src/db/migrate.ts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/db/migrate.ts")>();
  return { ...original, migrate: vi.fn(original.migrate) };
});

let dataDir: string;
let pg: { url: string; drop(): Promise<void> } | undefined;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ff-runner-"));
  if (usingPostgres) pg = await createPostgresDatabaseUrl();
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await pg?.drop();
});
// In braces: a function returned by a hook would be called as its teardown.
beforeEach(() => {
  vi.mocked(migrate).mockClear();
});

const env = () => ({
  DATA_DIR: dataDir,
  LOG_LEVEL: "error",
  ORIGIN: "https://flattr.example",
  ...(pg ? { DATABASE_URL: pg.url } : {}),
});

/** What the probe commands saw, and what the runner opened and closed. */
let seen: { deps?: Partial<Deps>; users?: number } = {};
let opened = 0;
let closed = 0;
async function open(config: Config): Promise<Database> {
  opened++;
  const database = await openDatabase(config, { command: "test", origin: config.origin.href });
  return {
    ...database,
    close: async () => {
      closed++;
      await database.close();
    },
  };
}

const countUsers = async (database: Database) =>
  Number(
    (await queryRows<{ n: string }>(database.db, sql`select count(*)::text as n from users`))[0]!.n,
  );

const probes: Command[] = [
  command({
    name: "probe db",
    usage: "[--fail]",
    summary: "needs the database",
    needs: "database",
    parse: (args) => parse(args, { fail: { type: "boolean" } }, false).values,
    run: async (input, deps) => {
      // Queries a table: the database is migrated before the command runs.
      seen = { deps, users: await countUsers(deps.database) };
      if (input.fail) throw new Error("the command broke");
      return 0;
    },
  }),
  command({
    name: "probe config",
    usage: "",
    summary: "needs the configuration only",
    needs: "config",
    parse: () => undefined,
    run: async (_, deps) => {
      seen = { deps };
      return 1;
    },
  }),
  command({
    name: "probe usage",
    usage: "<thing>",
    summary: "refuses its arguments",
    needs: "database",
    parse: () => {
      throw new UsageError("Give a thing.");
    },
    run: async () => 0,
  }),
];

async function run(argv: string[], options: Parameters<typeof runCli>[1] = {}) {
  seen = {};
  opened = closed = 0;
  const { result, stdout, stderr } = await captureConsole(() =>
    runCli(argv, { env: env(), commands: probes, open, ...options }),
  );
  return { code: result, stdout, stderr };
}

describe("the CLI runner", () => {
  it("gives a command config, a migrated database and the clock, then closes the database", async () => {
    const r = await run(["probe", "db"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(seen.users).toBe(0);
    expect(seen.deps?.config?.origin.href).toBe("https://flattr.example/");
    expect(seen.deps?.clock).toBe(systemClock);
    expect(seen.deps?.database?.kind).toBe(pg ? "postgres" : "pglite");
    expect({ opened, closed }).toEqual({ opened: 1, closed: 1 });
    expect(vi.mocked(migrate)).toHaveBeenCalledTimes(1);
  });

  it("closes the database when the command throws, and exits 1 naming the error", async () => {
    const r = await run(["probe", "db", "--fail"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("fediflattr probe db failed: Error: the command broke");
    expect({ opened, closed }).toEqual({ opened: 1, closed: 1 });
    if (!pg) {
      // The embedded database's lock is released with it: another open succeeds.
      const again = await openPglite(dataDir);
      await again.close();
    }
  });

  it("opens nothing for a command that needs no database, nor for a wrong command line", async () => {
    const config = await run(["probe", "config"]);
    expect(config.code).toBe(1); // what the command returned
    expect(seen.deps?.config).toBeDefined();
    expect(seen.deps?.database).toBeUndefined();
    const usage = await run(["probe", "usage"]);
    expect(usage).toMatchObject({
      code: 2,
      stderr: "Give a thing.\nUsage: fediflattr probe usage <thing>\n",
    });
    const option = await run(["probe", "db", "--nope"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Usage: fediflattr probe db [--fail]");
    expect({ opened, closed }).toEqual({ opened: 0, closed: 0 });
    expect(vi.mocked(migrate)).not.toHaveBeenCalled();
  });

  it("uses Deps the caller injects: its database stays open and unmigrated by the runner", async () => {
    const database = await createTestDatabase();
    try {
      vi.mocked(migrate).mockClear();
      const clock: Clock = fixedClock("2026-03-01T00:00:00Z");
      const config = testConfig({ ORIGIN: "https://injected.example" });
      const r = await run(["probe", "db"], { deps: { config, database, clock } });
      expect(r.code).toBe(0);
      expect(seen.deps).toEqual({ config, database, clock });
      expect({ opened, closed }).toEqual({ opened: 0, closed: 0 });
      expect(vi.mocked(migrate)).not.toHaveBeenCalled();
      expect(await countUsers(database)).toBe(0); // still open
    } finally {
      await database.close();
    }
  });

  it("exits 2 for a missing or unknown command and a bad configuration; help exits 0", async () => {
    const help = await run(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("probe db [--fail]");
    expect((await run(["--help"])).code).toBe(0);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: fediflattr <command>");
    const unknown = await run(["probe", "nothing"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command: probe nothing");
    const badConfig = await run(["probe", "db"], { env: { ...env(), PORT: "eighty" } });
    expect(badConfig).toMatchObject({ code: 2 });
    expect(badConfig.stderr).toContain("Configuration error: PORT");
    expect({ opened, closed }).toEqual({ opened: 0, closed: 0 });
  });

  it.skipIf(usingPostgres)("exits 3 when another process holds the data directory", async () => {
    const held = await openPglite(dataDir, { command: "close" });
    try {
      const r = await run(["probe", "db"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`is in use by \`fediflattr close\` (pid ${process.pid})`);
      expect(r.stderr).toContain("wait until it has finished");
    } finally {
      await held.close();
    }
  });
});

it("commands take the database and the clock from the runner, never on their own", () => {
  const dir = fileURLToPath(new URL("../../src/cli/commands/", import.meta.url));
  const forbidden = [
    /\bopen(Database|Pglite|Postgres)\b/,
    /\bmigrate\(/,
    /\bsystemClock\b/,
    /\bDate\.now\(/,
    /\bnew Date\(/,
  ];
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const pattern of forbidden) {
      expect({ file, uses: pattern.test(text) }).toEqual({ file, uses: false });
    }
  }
});
