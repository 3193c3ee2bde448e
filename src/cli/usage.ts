import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Deps } from "../deps.ts";

/** The command line is wrong: exit 2 with the command's usage line. */
export class UsageError extends Error {}

/**
 * What a command needs from the runner (src/cli/runner.ts): nothing (help), the configuration and
 * the clock, or also the database, which the runner opens and migrates once before `run` and
 * closes after it, also when `run` throws.
 */
export type Needs = "nothing" | "config" | "database";

/** What `run` is given, by what the command needs. */
export type Given<N extends Needs> = N extends "database"
  ? Deps
  : N extends "config"
    ? { config: Config; clock: Clock }
    : Record<never, never>;

export interface CommandSpec<N extends Needs, I> {
  /** The words that name the command: "user create". */
  name: string;
  /** Its arguments: "<username> --email <e> [--admin]". */
  usage: string;
  summary: string;
  needs: N;
  /**
   * Turns the arguments into the command's input; throws UsageError. Runs before the database is
   * opened, so a mistyped command line never waits for (or is refused by) the database.
   */
  parse(args: string[], config: N extends "nothing" ? undefined : Config): I | Promise<I>;
  /** Does the work; returns the exit code (0 done, 1 refused or failed). */
  run(input: I, deps: Given<N>): Promise<number>;
  /**
   * While a server holds the embedded database (exit 3): what to do on that server instead, e.g.
   * the page that does the same, as one or two sentences. `origin` is the server's.
   */
  whileServing?(input: I, origin: URL, config: Config): string | undefined;
}

/** A command as the runner sees it (its input type erased). */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  needs: Needs;
  /** How many leading words name the command ("user create" = 2). */
  words: number;
  matches(argv: string[]): boolean;
  parse(args: string[], config: Config | undefined): Promise<unknown>;
  run(input: unknown, deps: Partial<Deps>): Promise<number>;
  whileServing(input: unknown, origin: URL, config: Config): string | undefined;
}

export function command<N extends Needs, I>(spec: CommandSpec<N, I>): Command {
  const words = spec.name.split(" ");
  return {
    name: spec.name,
    usage: `${spec.name}${spec.usage ? ` ${spec.usage}` : ""}`,
    summary: spec.summary,
    needs: spec.needs,
    words: words.length,
    matches: (argv) => words.every((w, i) => argv[i] === w),
    parse: async (args, config) =>
      spec.parse(args, config as N extends "nothing" ? undefined : Config),
    // The runner gives each command what its `needs` asks for.
    run: (input, deps) => spec.run(input as I, deps as Given<N>),
    whileServing: (input, origin, config) => spec.whileServing?.(input as I, origin, config),
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
