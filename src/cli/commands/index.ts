import type { Command } from "../usage.ts";
import { closeCommand } from "./close.ts";
import { depositCommand } from "./deposit.ts";
import { domainBlockCommand, domainListCommand, domainUnblockCommand } from "./domain.ts";
import { inviteCreateCommand } from "./invite-create.ts";
import { ledgerCheckCommand } from "./ledger-check.ts";
import { migrateCommand } from "./migrate.ts";
import { peersCommand, peersRefreshCommand } from "./peers.ts";
import { serveCommand } from "./serve.ts";
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
  peersCommand,
  domainBlockCommand,
  domainUnblockCommand,
  domainListCommand,
];
