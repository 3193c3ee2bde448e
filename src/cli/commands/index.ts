import type { Command } from "../usage.ts";
import { closeCommand } from "./close.ts";
import { migrateCommand } from "./migrate.ts";
import { serveCommand } from "./serve.ts";

export const commands: Command[] = [serveCommand, migrateCommand, closeCommand];
