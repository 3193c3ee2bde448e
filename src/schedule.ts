/*
 * The worker's schedules (the month close, subscriptions, pledges, settlement rounds) are one
 * shape: run a task now, then again every interval, never two at once, until stopped; a failed
 * run is reported and the next tick tries again. `stop()` wakes the sleeping loop and waits for a
 * run in progress to finish, so a worker shuts down without cutting a transaction short.
 */

export interface Repeating {
  stop(): Promise<void>;
}

export function repeatEvery(
  intervalMs: number,
  task: () => Promise<unknown>,
  onError: (error: unknown) => void,
): Repeating {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await task();
      } catch (error) {
        onError(error);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
