import { AccountError } from "../../accounts/errors.ts";
import { createInvites } from "../../accounts/invites.ts";
import { findUserByUsername } from "../../accounts/users.ts";
import { systemClock } from "../../config/clock.ts";
import { openDatabase } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { command, parse, UsageError } from "../usage.ts";

export const inviteCreateCommand = command(
  "invite create",
  "[--count N] [--for <username>]",
  "Create single-use invite codes, printed one per line",
  async (args, config) => {
    const { values } = parse(args, { count: { type: "string" }, for: { type: "string" } }, false);
    const count = values.count === undefined ? 1 : Number(values.count);
    if (!/^\d+$/.test(values.count ?? "1") || count < 1 || count > 1000) {
      throw new UsageError("--count must be a whole number from 1 to 1000.");
    }
    const database = await openDatabase(config);
    try {
      await migrate(database);
      let creator = null;
      if (values.for !== undefined) {
        creator = await findUserByUsername(database.db, values.for);
        if (!creator) {
          console.error(`There is no user "${values.for}".`);
          return 1;
        }
      }
      // The operator is not bound by the per-user quota, also when creating codes for a user.
      const codes = await createInvites(database.db, systemClock, config, {
        creator,
        count,
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
    } finally {
      await database.close();
    }
  },
);
