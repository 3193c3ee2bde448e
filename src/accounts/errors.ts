import { DomainError } from "../errors.ts";

/** Why an account operation was refused; `code` is stable, `message` is for a person. */
export const ACCOUNT_ERROR_CODES = [
  "invalid",
  "taken",
  "registration_closed",
  "invite_required",
  "invite_invalid",
  "invite_used",
  "invite_quota",
  "not_found",
  "wrong_password",
  "reset_invalid",
  "has_money",
] as const;
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];

/**
 * A refusal the caller caused (bad input, taken name, used invite). The web maps its code to a
 * 4xx (src/http/error-status.ts) and re-renders the form; the CLI prints it. `field` names the
 * form field it is about, if any.
 */
export class AccountError extends DomainError<AccountErrorCode> {
  constructor(
    code: AccountErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
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
