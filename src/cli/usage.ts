import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Config } from "../config/config.ts";

export class UsageError extends Error {}

export interface Command {
  /** e.g. "user create <username> --email <e> [--admin]" */
  usage: string;
  summary: string;
  /** How many leading words name the command ("user create" = 2). */
  words: number;
  matches(argv: string[]): boolean;
  run(args: string[], config: Config): Promise<number>;
}

export function command(
  name: string,
  usage: string,
  summary: string,
  run: (args: string[], config: Config) => Promise<number>,
): Command {
  const words = name.split(" ");
  return {
    usage: `${name}${usage ? ` ${usage}` : ""}`,
    summary,
    words: words.length,
    matches: (argv) => words.every((w, i) => argv[i] === w),
    run,
  };
}

/** parseArgs that turns its errors into UsageError (exit 2 with the usage line). */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
