import { command, parse } from "../usage.ts";

export const migrateCommand = command({
  name: "migrate",
  usage: "",
  summary: "Apply database migrations",
  needs: "database",
  parse: (args) => void parse(args, {}, false),
  // The runner migrates every database it opens; this command only says so.
  run: async (_, { database }) => {
    console.log(`Migrations applied (${database.kind}).`);
    return 0;
  },
  whileServing: () => "The server applied the migrations when it started: nothing is left to do.",
});
