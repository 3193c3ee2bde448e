import { configure, type LogRecord, reset } from "@logtape/logtape";

/**
 * Captures what the app logs (LogTape, as the console sink would print it without colours), so a
 * test can read the log an operator reads. Call `stop()` in afterAll.
 */
export async function captureLogs(): Promise<{ lines: string[]; stop(): Promise<void> }> {
  const lines: string[] = [];
  await configure({
    reset: true,
    sinks: {
      capture: (record: LogRecord) => {
        lines.push(`${record.level}: ${record.message.map(String).join("")}`);
      },
    },
    loggers: [
      { category: ["fediflattr"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  return { lines, stop: () => reset() };
}

/** The setup links (`<origin>/setup/<token>`) in captured log lines, oldest first. */
export function setupUrlsIn(lines: string[]): string[] {
  return lines.flatMap((l) =>
    [...l.matchAll(/https?:\/\/\S+\/setup\/[A-Za-z0-9_-]+/g)].map((m) => m[0]),
  );
}
