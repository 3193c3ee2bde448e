import { createServer } from "node:net";
import { type Clock, fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { createTestDatabase } from "./db.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestInstance extends RunningServer {
  origin: string;
}

/** A real instance on a loopback port with its own fresh database. */
export async function startTestInstance(
  env: Record<string, string> = {},
  options: { clock?: Clock; role?: "all" | "web" } = {},
): Promise<TestInstance> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = testConfig({ ORIGIN: origin, PORT: String(port), ...env });
  const database = await createTestDatabase();
  const server = await startServer(config, {
    role: options.role ?? "all",
    hostname: "127.0.0.1",
    deps: { database, clock: options.clock ?? fixedClockOrSystem() },
  });
  return {
    ...server,
    origin,
    stop: async () => {
      await server.stop();
      await database.close();
    },
  };
}

function fixedClockOrSystem(): Clock {
  return { now: () => new Date() };
}

export { fixedClock };
