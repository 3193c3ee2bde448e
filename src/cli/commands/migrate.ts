import { openDatabase } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { command, parse } from "../usage.ts";

export const migrateCommand = command(
  "migrate",
  "",
  "Apply database migrations",
  async (args, config) => {
    parse(args, {}, false);
    const database = await openDatabase(config);
    try {
      await migrate(database);
      console.log(`Migrations applied (${database.kind}).`);
    } finally {
      await database.close();
    }
    return 0;
  },
);
