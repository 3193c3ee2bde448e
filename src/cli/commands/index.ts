import type { Command } from "../usage.ts";
import { migrateCommand } from "./migrate.ts";
import { serveCommand } from "./serve.ts";

export const commands: Command[] = [serveCommand, migrateCommand];
