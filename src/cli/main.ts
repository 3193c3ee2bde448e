import { runCli } from "./runner.ts";

/** `fediflattr <argv>` as bin/fediflattr.js runs it: the process exit code; never throws. */
export function main(argv: string[]): Promise<number> {
  return runCli(argv);
}
