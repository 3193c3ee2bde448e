import { pathToFileURL } from "node:url";

/*
 * One server of bench/api/js-cost.ts: the real instance (startServer, role web, logging at
 * warning like bench/api/server.ts) of the source tree at `root`, so that two versions of the code
 * run side by side against copies of one database. Answers {cpu} (its own user and system CPU so
 * far, µs) and {stop} over IPC.
 */

interface Spec {
  root: string;
  url: string;
  port: number;
}

const spec = JSON.parse(process.argv[2]!) as Spec;
const from = (path: string) => import(pathToFileURL(`${spec.root}/${path}`).href);

const { loadConfig } = await from("src/config/config.ts");
const { configureLogging } = await from("src/config/logging.ts");
const { startServer } = await from("src/server.ts");

const config = loadConfig({
  ORIGIN: `http://127.0.0.1:${spec.port}`,
  PORT: String(spec.port),
  NODE_TYPE: "web",
  REGISTRATION: "closed",
  CURRENCY: "EUR",
  TIME_ZONE: "UTC",
  LOG_LEVEL: "warning",
  DATABASE_URL: spec.url,
});
await configureLogging("warning");
const server = await startServer(config, { role: "web", hostname: "127.0.0.1" });

process.on("message", async (m: { type: string }) => {
  if (m.type === "cpu") process.send!({ type: "cpu", ...process.cpuUsage() });
  if (m.type === "stop") {
    await server.stop().catch(() => {});
    process.exit(0);
  }
});
process.send!({ type: "ready" });
