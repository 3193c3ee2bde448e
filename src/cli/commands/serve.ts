import { getLogger } from "@logtape/logtape";
import type { NodeType } from "../../config/config.ts";
import { startServer } from "../../server.ts";
import { command, parse, UsageError } from "../usage.ts";

export const serveCommand = command(
  "serve",
  "[--role web|worker|all]",
  "Run the instance (default role from NODE_TYPE)",
  async (args, config) => {
    const { values } = parse(args, { role: { type: "string" } }, false);
    const role = (values.role ?? config.nodeType) as NodeType;
    if (!["web", "worker", "all"].includes(role))
      throw new UsageError(`--role must be web, worker or all`);
    const server = await startServer(config, { role });
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
);
