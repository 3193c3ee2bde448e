/** Why an account operation was refused; `code` is stable, `message` is for a person. */
export type AccountErrorCode =
  | "invalid"
  | "taken"
  | "registration_closed"
  | "invite_required"
  | "invite_invalid"
  | "invite_used"
  | "invite_quota"
  | "not_found";

/**
 * A refusal the caller caused (bad input, taken name, used invite). The web maps it to a 4xx and
 * re-renders the form; the CLI prints it. `field` names the form field it is about, if any.
 */
export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "AccountError";
  }
}

/** PostgreSQL unique violation (23505), through drizzle's wrapper, on PGlite or postgres.js. */
export function uniqueViolation(e: unknown): { constraint: string | undefined } | null {
  for (let x: unknown = e, depth = 0; x && depth < 5; depth++) {
    const err = x as {
      code?: unknown;
      constraint?: string;
      constraint_name?: string;
      cause?: unknown;
    };
    if (err.code === "23505") return { constraint: err.constraint_name ?? err.constraint };
    x = err.cause;
  }
  return null;
}
