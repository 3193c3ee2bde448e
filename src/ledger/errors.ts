/** Base class: every refusal of the ledger is one of these, never a raw database error. */
class LedgerError extends Error {
  override name = "LedgerError";
}

/** The entry itself is malformed (unbalanced, zero amounts, bad account or currency). */
export class InvalidEntryError extends LedgerError {
  override name = "InvalidEntryError";
}

/** The idempotency key was used before for a different payload. */
export class IdempotencyConflictError extends LedgerError {
  override name = "IdempotencyConflictError";
  constructor(
    readonly idempotencyKey: string,
    readonly existingEntryId: number,
  ) {
    super(
      `idempotency key "${idempotencyKey}" was already used for a different entry (#${existingEntryId})`,
    );
  }
}

/** The entry would take an account that may not go negative below zero. Nothing was posted. */
export class InsufficientFundsError extends LedgerError {
  override name = "InsufficientFundsError";
  constructor(
    readonly account: string | undefined,
    readonly currency: string | undefined,
  ) {
    super(
      account
        ? `insufficient funds: ${account} (${currency}) would go below zero`
        : "insufficient funds: an account would go below zero",
    );
  }
}

export class EntryNotFoundError extends LedgerError {
  override name = "EntryNotFoundError";
  constructor(readonly entryId: number) {
    super(`ledger entry #${entryId} does not exist`);
  }
}

export class AlreadyReversedError extends LedgerError {
  override name = "AlreadyReversedError";
  constructor(readonly entryId: number) {
    super(`ledger entry #${entryId} has already been reversed`);
  }
}
