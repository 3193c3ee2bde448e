import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import { AccountError } from "../../accounts/errors.ts";
import { createUser } from "../../accounts/users.ts";
import { validateEmail, validatePassword, validateUsername } from "../../accounts/validation.ts";
import { command, parse, UsageError } from "../usage.ts";

export const userCreateCommand = command({
  name: "user create",
  usage: "<username> --email <e> [--admin] [--password <p>]",
  summary: "Create a user; asks for the password when --password is missing",
  needs: "database",
  parse: (args) => {
    const { values, positionals } = parse(args, {
      email: { type: "string" },
      admin: { type: "boolean" },
      password: { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("Give exactly one username.");
    if (!values.email) throw new UsageError("--email is required.");
    if (values.password === undefined && !process.stdin.isTTY) {
      throw new UsageError(
        "No --password given, and stdin is not a terminal to ask for one. " +
          "Run it in a terminal or pass --password.",
      );
    }
    return {
      username: positionals[0]!,
      email: values.email,
      admin: values.admin ?? false,
      password: values.password,
    };
  },
  run: async (input, { database, clock }) => {
    try {
      // Check what we can before asking for a password that would then be thrown away.
      const username = validateUsername(input.username, { allowReserved: true });
      const email = validateEmail(input.email);
      const password = input.password ?? (await promptNewPassword());
      validatePassword(password);
      const user = await createUser(database.db, clock, {
        username,
        email,
        password,
        isAdmin: input.admin,
        allowReserved: true,
      });
      console.log(
        `Created ${user.isAdmin ? "administrator" : "user"} @${user.username} (id ${user.id}).`,
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
  whileServing: (input, origin) =>
    input.admin
      ? "If this instance has no administrator yet, open the setup URL the server printed when " +
        `it started (${new URL("/setup/", origin).href}…; a new one is printed at each start ` +
        "while there is no administrator)."
      : `People sign up on the server's page instead: ${new URL("/signup", origin).href} ` +
        `(invite codes: ${new URL("/invites", origin).href}).`,
});

/** Asks twice on the terminal without echoing what is typed. */
async function promptNewPassword(): Promise<string> {
  const first = await promptHidden("Password: ");
  validatePassword(first);
  const second = await promptHidden("Repeat the password: ");
  if (first !== second) throw new AccountError("invalid", "The passwords do not match.");
  return first;
}

/**
 * Reads a line from the terminal without echoing it: readline (in terminal mode, so the terminal
 * is raw and line editing works) writes its echo to a stream that drops everything.
 */
async function promptHidden(question: string): Promise<string> {
  const silent = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  const abort = new AbortController();
  rl.on("SIGINT", () => abort.abort());
  process.stdout.write(question);
  try {
    return await rl.question("", { signal: abort.signal });
  } catch (e) {
    if (abort.signal.aborted) throw new AccountError("invalid", "Cancelled.");
    throw e;
  } finally {
    process.stdout.write("\n");
    rl.close();
  }
}
