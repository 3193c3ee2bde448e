import { AccountError } from "../../accounts/errors.ts";
import { createInvites } from "../../accounts/invites.ts";
import { findUserByUsername } from "../../accounts/users.ts";
import { command, parse, UsageError } from "../usage.ts";

export const inviteCreateCommand = command({
  name: "invite create",
  usage: "[--count N] [--for <username>]",
  summary: "Create single-use invite codes, printed one per line",
  needs: "database",
  parse: (args) => {
    const { values } = parse(args, { count: { type: "string" }, for: { type: "string" } }, false);
    const count = values.count === undefined ? 1 : Number(values.count);
    if (!/^\d+$/.test(values.count ?? "1") || count < 1 || count > 1000) {
      throw new UsageError("--count must be a whole number from 1 to 1000.");
    }
    return { count, for: values.for };
  },
  run: async (input, { config, database, clock }) => {
    let creator = null;
    if (input.for !== undefined) {
      creator = await findUserByUsername(database.db, input.for);
      if (!creator) {
        console.error(`There is no user "${input.for}".`);
        return 1;
      }
    }
    try {
      // The operator is not bound by the per-user quota, also when creating codes for a user.
      const codes = await createInvites(database.db, clock, config, {
        creator,
        count: input.count,
        unlimited: true,
      });
      // Codes alone on stdout, so `fediflattr invite create --count 5 > codes.txt` works.
      for (const code of codes) console.log(code);
      console.error(`Share as ${new URL("/signup", config.origin).href}?invite=<code>`);
      if (config.registration !== "invite") {
        console.error(
          `Note: REGISTRATION is "${config.registration}", so codes are ${config.registration === "open" ? "not needed" : "not accepted"} right now.`,
        );
      }
      return 0;
    } catch (e) {
      if (e instanceof AccountError) {
        console.error(e.message);
        return 1;
      }
      throw e;
    }
  },
  whileServing: (_input, origin) =>
    `Create invite codes on the server's page instead: ${new URL("/invites", origin).href} ` +
    "(administrators have no quota there).",
});
