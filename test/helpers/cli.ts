import { vi } from "vitest";
import { type RunOptions, runCli } from "../../src/cli/runner.ts";

/** Runs `fn` with console.log/error captured (the CLI prints through them). */
export async function captureConsole<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  try {
    const result = await fn();
    return {
      result,
      stdout: out.map((l) => `${l}\n`).join(""),
      stderr: err.map((l) => `${l}\n`).join(""),
    };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `fediflattr <args>` through the CLI's runner in this process (a new process costs seconds: tsx,
 * the import graph). Pass `deps` to hand the command a test database, a fixed clock or a config
 * (`testConfig`): the runner then opens, migrates and closes nothing of its own.
 */
export async function runCliWith(args: string[], options: RunOptions = {}): Promise<CliRun> {
  const { result, stdout, stderr } = await captureConsole(() => runCli(args, options));
  return { code: result, stdout, stderr };
}

/**
 * The same with the configuration read from the environment plus `env` (an undefined value
 * removes a variable), for tests that share a data directory with a real CLI process.
 */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliRun> {
  const merged: Record<string, string | undefined> = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return runCliWith(args, { env: merged });
}
