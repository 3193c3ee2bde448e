import { ConfigError, loadConfig } from "../config/config.ts";
import { configureLogging } from "../config/logging.ts";
import { DataDirLockedError } from "../db/client.ts";
import { commands } from "./commands/index.ts";
import { UsageError } from "./usage.ts";

function help(): string {
  const lines = ["Usage: fediflattr <command> [options]", "", "Commands:"];
  for (const cmd of commands) lines.push(`  ${cmd.usage.padEnd(52)} ${cmd.summary}`);
  lines.push("", "Configuration comes from environment variables; see README.md.");
  return lines.join("\n");
}

/** Returns the process exit code; never throws for a user's mistake. */
export async function main(argv: string[]): Promise<number> {
  const [first] = argv;
  if (!first || first === "help" || first === "--help" || first === "-h") {
    console.log(help());
    return first ? 0 : 1;
  }
  const command = commands.find((c) => c.matches(argv));
  if (!command) {
    console.error(`Unknown command: ${argv.join(" ")}\n\n${help()}`);
    return 2;
  }
  try {
    const config = loadConfig();
    await configureLogging(config.logLevel);
    return await command.run(argv.slice(command.words), config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`Configuration error: ${e.message}`);
      return 2;
    }
    if (e instanceof UsageError) {
      console.error(`${e.message}\nUsage: fediflattr ${command.usage}`);
      return 2;
    }
    if (e instanceof DataDirLockedError) {
      console.error(e.message);
      return 3;
    }
    throw e;
  }
}
