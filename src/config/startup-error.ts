/**
 * A process could not start because of its surroundings, not a bug: the port is taken, the data
 * directory cannot be written, the database cannot be reached. The CLI prints the message as one
 * line (no stack trace: nothing in our code is wrong) and exits with 2, like a configuration error.
 * `setting` names the environment variable the operator changes to fix it.
 */
export class StartupError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = "StartupError";
  }
}

/** The errno-style code of a Node or driver error, looking through `cause` chains. */
export function errorCode(e: unknown): string | undefined {
  for (let x: unknown = e, depth = 0; x && depth < 5; depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string") return code;
    x = (x as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A database URL with its password replaced, safe to print. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return "(unparseable URL)";
  }
}
