import { vi } from "vitest";
import { main } from "../../src/cli/main.ts";

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

/**
 * `fediflattr <args>` through `main()` in this process, with `env` laid over the environment
 * (an undefined value removes the variable): a new process costs seconds (tsx, the import graph).
 */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const { result, stdout, stderr } = await captureConsole(() => main(args));
    return { code: result, stdout, stderr };
  } finally {
    process.env = saved;
  }
}
