import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, type LogLevel } from "@logtape/logtape";

/** LogTape is Fedify's logger; we log through it too so one configuration covers both. */
export async function configureLogging(level: LogLevel): Promise<void> {
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ["fediflattr"], lowestLevel: level, sinks: ["console"] },
      {
        category: ["fedify"],
        lowestLevel: level === "debug" ? "debug" : "warning",
        sinks: ["console"],
      },
      // Fedify logs every 404 it hands back to us as a warning; our request log covers those.
      { category: ["fedify", "federation", "http"], lowestLevel: "error", sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}
