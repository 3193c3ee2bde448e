import type { Command } from "../usage.ts";
import { clearingCommand, clearingRecordCommand } from "./clearing.ts";
import { closeCommand } from "./close.ts";
import { depositCommand } from "./deposit.ts";
import { domainBlockCommand, domainListCommand, domainUnblockCommand } from "./domain.ts";
import { inviteCreateCommand } from "./invite-create.ts";
import { ledgerCheckCommand } from "./ledger-check.ts";
import { migrateCommand } from "./migrate.ts";
import {
  payoutsApproveCommand,
  payoutsExportCommand,
  payoutsFailCommand,
  payoutsListCommand,
  payoutsMarkPaidCommand,
} from "./payouts.ts";
import {
  peersAdmitCommand,
  peersCommand,
  peersRefreshCommand,
  peersSuspendCommand,
} from "./peers.ts";
import { serveCommand } from "./serve.ts";
import {
  settlementsCommand,
  settlementsRefundCommand,
  settlementsWithdrawCommand,
} from "./settlements.ts";
import { tokenCreateCommand } from "./token-create.ts";
import { userCreateCommand } from "./user-create.ts";
import { userResetPasswordCommand } from "./user-reset-password.ts";

export const commands: Command[] = [
  serveCommand,
  migrateCommand,
  userCreateCommand,
  userResetPasswordCommand,
  inviteCreateCommand,
  closeCommand,
  tokenCreateCommand,
  depositCommand,
  ledgerCheckCommand,
  // "peers refresh" before "peers": the first command whose words match runs.
  peersRefreshCommand,
  peersAdmitCommand,
  peersSuspendCommand,
  peersCommand,
  domainBlockCommand,
  domainUnblockCommand,
  domainListCommand,
  payoutsListCommand,
  payoutsApproveCommand,
  payoutsExportCommand,
  payoutsMarkPaidCommand,
  payoutsFailCommand,
  // The sub-commands before "settlements" (the first command whose words match runs).
  settlementsWithdrawCommand,
  settlementsRefundCommand,
  settlementsCommand,
  clearingRecordCommand,
  clearingCommand,
];
