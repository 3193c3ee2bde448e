/*
 * Refusals of the domain. A domain module says *why* it refused (a stable `code` that clients,
 * tests and other surfaces match on) and *what to tell a person* (`message`); it never says how
 * a surface answers. The HTTP status of each code lives in one table in the HTTP layer
 * (src/http/error-status.ts), the CLI picks exit codes, and the coming inbox answers Reject:
 * the same refusal, worded once, answered by each surface in its own terms (ADR 0006).
 */

/**
 * A refusal the caller caused: nothing was changed when one is thrown or returned. Subclasses
 * name their code union (FlattrError, AccountError, DepositError, ...).
 */
export class DomainError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/**
 * What a use case (a "door" every surface calls) answers: the value, or the refusal as a value,
 * so each caller sees in the type which refusals it must word or map. Unexpected failures (a
 * bug, the database gone) are still thrown.
 */
export type Result<T, E extends DomainError = DomainError> =
  | { ok: true; value: T }
  | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const refused = <E extends DomainError>(error: E): { ok: false; error: E } => ({
  ok: false,
  error,
});

/** The value of a Result, or its refusal thrown (for callers whose error handler maps it). */
export function unwrap<T, E extends DomainError>(result: Result<T, E>): T {
  if (!result.ok) throw result.error;
  return result.value;
}
