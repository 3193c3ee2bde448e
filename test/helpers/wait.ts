import { setTimeout as sleep } from "node:timers/promises";

export interface UntilOptions {
  /** Named in the failure, so a timeout says what never happened. */
  what?: string;
  /** Give up after this long (default 15 s): a bound for a slow machine, not an expected time. */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
}

/**
 * Polls `check` until it returns a truthy value, and returns that value. Tests wait on a condition
 * that proves the system has done (or finished processing) something, never on a fixed sleep: a
 * loaded machine then only makes the wait longer, and an idle one does not wait for nothing.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  { what = "a condition", timeoutMs = 15_000, intervalMs = 20 }: UntilOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** `promise`, or a failure naming `step` once `ms` have passed (for steps that must not hang). */
export async function within<T>(ms: number, step: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${step} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
