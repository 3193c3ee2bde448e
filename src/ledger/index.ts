// The ledger's public API. Callers import from here.
export * from "./accounts.ts";
export { balanceOf } from "./balance.ts";
export { checkLedger, type LedgerSummary, type LedgerViolation, ledgerSummary } from "./check.ts";
export {
  DEPOSIT_ERROR_CODES,
  DepositError,
  type DepositErrorCode,
  type DepositInput,
  depositKey,
  depositReferenceKey,
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
  validateEntry,
} from "./post.ts";
export { reverseEntry } from "./reverse.ts";
export { parseTransferReference, transferReference } from "./transfer-reference.ts";
