import { AccountError } from "../../accounts/errors.ts";
import { createToken } from "../../accounts/tokens.ts";
import { findUserByUsername } from "../../accounts/users.ts";
import { command, parse, UsageError } from "../usage.ts";

export const tokenCreateCommand = command({
  name: "token create",
  usage: "<username> [--name <name>] [--read-only]",
  summary: "Create a personal access token for the REST API and print it (shown only once)",
  needs: "database",
  parse: (args) => {
    const { values, positionals } = parse(args, {
      name: { type: "string" },
      "read-only": { type: "boolean" },
    });
    if (positionals.length !== 1) throw new UsageError("Give exactly one username.");
    return {
      username: positionals[0]!,
      name: values.name ?? "cli",
      readOnly: values["read-only"] ?? false,
    };
  },
  run: async (input, { database, clock }) => {
    const user = await findUserByUsername(database.db, input.username);
    if (!user) {
      console.error(`No user @${input.username}.`);
      return 1;
    }
    try {
      const { token, accessToken } = await createToken(database.db, clock, user.id, {
        name: input.name,
        scopes: input.readOnly ? ["read"] : ["read", "write"],
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
    }
  },
  whileServing: (input, origin) =>
    `Create the token on the server's page instead: ${new URL("/settings/tokens", origin).href} ` +
    `(logged in as @${input.username}).`,
});
