import { findUserById, findUserByUsername } from "../../accounts/users.ts";
import { openDatabase } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import {
  balanceOf,
  DepositError,
  describeDeposit,
  IdempotencyConflictError,
  normalizeDepositReference,
  recordDeposit,
  walletAccount,
} from "../../ledger/index.ts";
import { parseAmount } from "../../money/decimal.ts";
import { formatMoney } from "../../money/format.ts";
import { command, parse, UsageError } from "../usage.ts";

export const depositCommand = command(
  "deposit",
  "<username> <amount> --reference <bank transaction id>",
  "Record a received bank transfer: credit the user's wallet (once per reference)",
  async (args, config) => {
    const { values, positionals } = parse(args, { reference: { type: "string" } });
    if (positionals.length !== 2) throw new UsageError("Give a username and an amount.");
    const [username, amountText] = positionals as [string, string];
    const amount = parseAmount(amountText, config.currency);
    if (amount === null || amount <= 0n) {
      throw new UsageError(
        `The amount must be a positive decimal in ${config.currency} such as 25 or 25.00, got "${amountText}".`,
      );
    }
    if (!values.reference)
      throw new UsageError("--reference is required (the bank's transaction id).");
    let reference: string;
    try {
      reference = normalizeDepositReference(values.reference);
    } catch (e) {
      if (e instanceof DepositError) throw new UsageError(`--reference: ${e.message}.`);
      throw e;
    }
    const money = (m: bigint) => formatMoney(m, config.currency);

    const database = await openDatabase(config);
    try {
      await migrate(database);
      const user = await findUserByUsername(database.db, username);
      if (!user) {
        console.error(`No user named "${username}". Nothing was recorded.`);
        return 1;
      }
      try {
        const result = await recordDeposit(database.db, {
          userId: user.id,
          amount,
          reference,
          currency: config.currency,
        });
        const balance = await balanceOf(database.db, walletAccount(user.id), config.currency);
        if (result.replayed) {
          console.log(
            `Already recorded: ${money(amount)} to @${user.username} with reference ${reference} ` +
              `(entry #${result.entryId}). Nothing changed; wallet balance ${money(balance)}.`,
          );
        } else {
          console.log(
            `Recorded ${money(amount)} to @${user.username} with reference ${reference} ` +
              `(entry #${result.entryId}). Wallet balance now ${money(balance)}.`,
          );
        }
        return 0;
      } catch (e) {
        if (!(e instanceof IdempotencyConflictError)) throw e;
        const earlier = await describeDeposit(database.db, e.existingEntryId);
        const who = earlier?.userId ? await findUserById(database.db, earlier.userId) : null;
        const what = earlier
          ? `${formatMoney(earlier.amount, earlier.currency)} to ${who ? `@${who.username}` : `wallet of user ${earlier.userId}`}`
          : "a different entry";
        console.error(
          `Reference ${reference} was already recorded for ${what} (entry #${e.existingEntryId}). ` +
            "Nothing was recorded. If that was a mistake, reverse that entry; if this is another " +
            "payment, use its own reference.",
        );
        return 1;
      }
    } finally {
      await database.close();
    }
  },
);
