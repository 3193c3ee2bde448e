import { AccountError } from "../../accounts/errors.ts";
import { createToken } from "../../accounts/tokens.ts";
import { findUserByUsername } from "../../accounts/users.ts";
import { systemClock } from "../../config/clock.ts";
import { openDatabase } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { command, parse, UsageError } from "../usage.ts";

export const tokenCreateCommand = command(
  "token create",
  "<username> [--name <name>] [--read-only]",
  "Create a personal access token for the REST API and print it (shown only once)",
  async (args, config) => {
    const { values, positionals } = parse(args, {
      name: { type: "string" },
      "read-only": { type: "boolean" },
    });
    if (positionals.length !== 1) throw new UsageError("Give exactly one username.");
    const database = await openDatabase(config);
    try {
      await migrate(database);
      const user = await findUserByUsername(database.db, positionals[0]!);
      if (!user) {
        console.error(`No user @${positionals[0]}.`);
        return 1;
      }
      const { token, accessToken } = await createToken(database.db, systemClock, user.id, {
        name: values.name ?? "cli",
        scopes: values["read-only"] ? ["read"] : ["read", "write"],
      });
      console.error(
        `Created token ${accessToken.id} "${accessToken.name}" (${accessToken.scopes.join(", ")}) for @${user.username}; it is shown only this once:`,
      );
      // The token alone on stdout, so scripts can capture it.
      console.log(token);
      return 0;
    } catch (e) {
      if (e instanceof AccountError) {
        console.error(e.message);
        return 1;
      }
      throw e;
    } finally {
      await database.close();
    }
  },
);
