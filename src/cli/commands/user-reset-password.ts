import { AccountError } from "../../accounts/errors.ts";
import { createPasswordReset, PASSWORD_RESET_TTL_SECONDS } from "../../accounts/password-resets.ts";
import { passwordResetUrl } from "../../config/urls.ts";
import { command, parse, UsageError } from "../usage.ts";

export const userResetPasswordCommand = command({
  name: "user reset-password",
  usage: "<username>",
  summary: "Print a one-time link that sets a new password for the user",
  needs: "database",
  parse: (args) => {
    const { positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError("Give exactly one username.");
    return { username: positionals[0]! };
  },
  run: async ({ username }, { database, clock, config }) => {
    try {
      const reset = await createPasswordReset(database.db, clock, username);
      // The link alone on stdout, so it can be piped; the explanation on stderr.
      console.log(passwordResetUrl(config, reset.token));
      console.error(
        `One-time link for @${reset.user.username}: it sets a new password once, works for ` +
          `${PASSWORD_RESET_TTL_SECONDS / 3600} hours and logs the account out everywhere. Give ` +
          "it to them through a channel where you know it is them.",
      );
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
    `An administrator makes the same link on the server's page: ${new URL("/admin/users", origin).href}`,
});
