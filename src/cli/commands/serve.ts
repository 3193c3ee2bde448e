import { getLogger } from "@logtape/logtape";
import type { NodeType } from "../../config/config.ts";
import { startServer } from "../../server.ts";
import { command, parse, UsageError } from "../usage.ts";

export const serveCommand = command({
  name: "serve",
  usage: "[--role web|worker|all]",
  summary: "Run the instance (default role from NODE_TYPE)",
  // The runner opens (and, on the embedded database, locks) the database for the server's whole
  // lifetime; the command starts the server on it and stops it on SIGINT/SIGTERM.
  needs: "database",
  parse: (args, config) => {
    const { values } = parse(args, { role: { type: "string" } }, false);
    const role = (values.role ?? config.nodeType) as NodeType;
    if (!["web", "worker", "all"].includes(role))
      throw new UsageError(`--role must be web, worker or all`);
    return { role };
  },
  run: async ({ role }, deps) => {
    const server = await startServer(deps.config, { role, deps });
    const logger = getLogger(["fediflattr", "server"]);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    logger.info("Shutting down");
    await server.stop();
    return 0;
  },
});
