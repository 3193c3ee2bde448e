import { type Clock, systemClock } from "../config/clock.ts";
import { type Config, ConfigError, loadConfig } from "../config/config.ts";
import { configureLogging } from "../config/logging.ts";
import { StartupError } from "../config/startup-error.ts";
import { type Database, DataDirLockedError, type LockHolder, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import type { Deps } from "../deps.ts";
import { commands as allCommands } from "./commands/index.ts";
import { type Command, command, UsageError } from "./usage.ts";

export interface RunOptions {
  /** Where the configuration comes from (default `process.env`); unused when `deps.config` is given. */
  env?: Record<string, string | undefined>;
  /**
   * Dependencies the caller supplies instead of the runner (tests: a test database, a fixed clock,
   * a config). A database given here belongs to the caller: already migrated, and not closed here.
   * A caller that gives a config also sets up logging itself.
   */
  deps?: Partial<Deps>;
  /** The commands to choose from (default: every `fediflattr` command). */
  commands?: Command[];
  /** Opens the database (default `openDatabase`); the runner migrates it and closes it. */
  open?: (config: Config, holder: LockHolder) => Promise<Database>;
}

/** Exit codes, as README.md documents them. */
const EXIT = { ok: 0, failed: 1, usage: 2, dataDirInUse: 3 } as const;

/**
 * Runs one `fediflattr` command: finds it, reads the configuration, parses its arguments, gives it
 * what it declared it needs (src/cli/usage.ts) and closes what was opened for it. Returns the exit
 * code; never throws.
 */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const listed = options.commands ?? allCommands;
  const help = helpCommand(listed);
  const all = [...listed, help];
  const [first] = argv;
  if (!first) {
    console.error(helpText(listed));
    return EXIT.usage;
  }
  const cmd =
    first === "--help" || first === "-h" ? help : (all.find((c) => c.matches(argv)) ?? null);
  if (!cmd) {
    console.error(`Unknown command: ${argv.join(" ")}\n\n${helpText(listed)}`);
    return EXIT.usage;
  }

  let config: Config | undefined;
  let input: unknown;
  let database: Database | undefined;
  let ownDatabase: Database | undefined;
  try {
    if (cmd.needs !== "nothing") {
      config = options.deps?.config;
      if (!config) {
        config = loadConfig(options.env ?? process.env);
        await configureLogging(config.logLevel);
      }
    }
    input = await cmd.parse(argv.slice(cmd.words), config);
    const clock: Clock = options.deps?.clock ?? systemClock;
    if (cmd.needs === "database" && config) {
      database = options.deps?.database;
      if (!database) {
        const holder = { command: cmd.name, origin: config.origin.href };
        ownDatabase = await (options.open ?? openDatabase)(config, holder);
        database = ownDatabase;
        await migrate(database);
      }
    }
    return await cmd.run(input, { config, clock, database } as Partial<Deps>);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`Configuration error: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof StartupError) {
      // The surroundings, not our code: one line naming the setting, no stack trace.
      console.error(e.message);
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      console.error(`${e.message}\nUsage: fediflattr ${cmd.usage}`);
      return EXIT.usage;
    }
    if (e instanceof DataDirLockedError && config) {
      console.error(dataDirInUse(e, cmd, input, config));
      return EXIT.dataDirInUse;
    }
    console.error(`fediflattr ${cmd.name} failed: ${(e as Error)?.stack ?? String(e)}`);
    return EXIT.failed;
  } finally {
    if (ownDatabase) {
      await ownDatabase.close().catch((e: unknown) => {
        console.error(`Closing the database failed: ${(e as Error)?.message ?? String(e)}`);
      });
    }
  }
}

/**
 * Exit 3: who holds the data directory and what to do instead. A server is the usual holder (the
 * operator runs the CLI beside `npm start`): name the page that does the same, or stopping it.
 */
function dataDirInUse(e: DataDirLockedError, cmd: Command, input: unknown, config: Config) {
  const holder = e.holder;
  if (!holder) return e.message;
  if (holder.command !== "serve") {
    return (
      `The data directory ${e.dir} is in use by \`fediflattr ${holder.command}\` (pid ${e.pid}). ` +
      "The embedded database allows one process at a time: wait until it has finished, then " +
      "run this again."
    );
  }
  const origin = new URL(holder.origin ?? config.origin.href);
  const server = `a running Fediflattr server (pid ${e.pid}, ${origin.origin})`;
  if (cmd.name === "serve") {
    return (
      `The data directory ${e.dir} is already served by ${server}. The embedded database allows ` +
      "one process at a time: stop that server first, or set DATABASE_URL to run several " +
      "processes on PostgreSQL."
    );
  }
  const lines = [
    `The data directory ${e.dir} is held by ${server}: the embedded database allows one ` +
      "process at a time, so this command cannot run beside it.",
  ];
  const instead = cmd.whileServing(input, origin, config);
  if (instead) lines.push(instead);
  lines.push(
    `${instead ? "Or stop" : "Stop"} the server (Ctrl-C in its terminal, or \`kill ${e.pid}\`), ` +
      "run this command, and start the server again.",
  );
  return lines.join("\n");
}

function helpText(commands: Command[]): string {
  const lines = ["Usage: fediflattr <command> [options]", "", "Commands:"];
  for (const cmd of commands) lines.push(`  ${cmd.usage.padEnd(52)} ${cmd.summary}`);
  lines.push(`  ${"help".padEnd(52)} Show this list`);
  lines.push("", "Configuration comes from environment variables; see README.md.");
  return lines.join("\n");
}

function helpCommand(commands: Command[]): Command {
  return command({
    name: "help",
    usage: "",
    summary: "Show this list",
    needs: "nothing",
    parse: () => undefined,
    run: async () => {
      console.log(helpText(commands));
      return EXIT.ok;
    },
  });
}
