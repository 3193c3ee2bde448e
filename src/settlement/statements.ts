// The read models behind statements, the "this month", wallet and earnings pages and the API.
export {
  type Earnings,
  earnings,
  earningsByMonth,
  type MonthEarnings,
  type PeriodStatus,
  type ThingEarnings,
} from "./earnings.ts";
export { type MyFlattr, type MyFlattrs, myFlattrs, periodFlattrs } from "./my-flattrs.ts";
export {
  type PayerStatement,
  type Statement,
  type StatementMovement,
  statement,
} from "./statement.ts";
export { formatStatementCsv, STATEMENT_CSV_COLUMNS, statementCsv } from "./statement-csv.ts";
export {
  MAX_HISTORY_LIMIT,
  type WalletHistory,
  type WalletMovement,
  walletHistory,
} from "./wallet-history.ts";
