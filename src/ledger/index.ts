// The ledger's public API. Callers import from here.
export * from "./accounts.ts";
export { balanceOf } from "./balance.ts";
export { checkLedger, type LedgerSummary, type LedgerViolation, ledgerSummary } from "./check.ts";
export {
  BANK_SOURCE,
  DEPOSIT_ERROR_CODES,
  DepositError,
  type DepositErrorCode,
  type DepositInput,
  MAX_REFERENCE_LENGTH,
  normalizeDepositReference,
  recordDeposit,
  recordedBankDeposit,
} from "./deposits.ts";
export { describeDeposit } from "./describe.ts";
export * from "./errors.ts";
export { canonicalJson, payloadHash } from "./payload.ts";
export {
  type EntryInput,
  type Posting,
  type PostResult,
  postEntry,
} from "./post.ts";
export { reverseEntry } from "./reverse.ts";
export { parseTransferReference, transferReference } from "./transfer-reference.ts";
