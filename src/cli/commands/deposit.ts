import { parseAmount } from "../../money/decimal.ts";
import { formatMoney } from "../../money/format.ts";
import { recordBankDeposit } from "../../settlement/deposits.ts";
import { command, parse, UsageError } from "../usage.ts";

export const depositCommand = command({
  name: "deposit",
  usage: "<username | FF-reference> <amount> --reference <bank transaction id> [--confirm-large]",
  summary: "Record a received bank transfer: credit the user's wallet (once per reference)",
  needs: "database",
  parse: (args, config) => {
    const { values, positionals } = parse(args, {
      reference: { type: "string" },
      "confirm-large": { type: "boolean" },
    });
    if (positionals.length !== 2)
      throw new UsageError("Give a username (or transfer reference) and an amount.");
    const [payee, amountText] = positionals as [string, string];
    const amount = parseAmount(amountText, config.currency);
    if (amount === null || amount <= 0n) {
      throw new UsageError(
        `The amount must be a positive decimal in ${config.currency} such as 25 or 25.00, got "${amountText}".`,
      );
    }
    if (!values.reference)
      throw new UsageError("--reference is required (the bank's transaction id).");
    return {
      payee,
      amount,
      reference: values.reference,
      confirmLarge: values["confirm-large"] === true,
    };
  },
  run: async (input, { config, database }) => {
    const money = (m: bigint) => formatMoney(m, config.currency);
    // The same door as the admin page (/admin/deposits): same inputs, same words.
    const r = await recordBankDeposit(database.db, config, input);
    if (!r.ok) {
      const { code, message } = r.error;
      if (code === "invalid_reference" || code === "personal_reference")
        throw new UsageError(`--reference: ${message}`);
      console.error(
        code === "confirmation_required" ? `${message} Add --confirm-large to record it.` : message,
      );
      return 1;
    }
    const d = r.value;
    console.log(
      d.replayed
        ? `Already recorded: ${money(d.amount)} to @${d.user.username} with reference ${d.reference} ` +
            `(entry #${d.entryId}). Nothing changed; wallet balance ${money(d.walletBalance)}.`
        : `Recorded ${money(d.amount)} to @${d.user.username} with reference ${d.reference} ` +
            `(entry #${d.entryId}). Wallet balance now ${money(d.walletBalance)}.`,
    );
    return 0;
  },
  whileServing: (_input, origin) =>
    `Record the transfer on the server's page instead: ${new URL("/admin/deposits", origin).href} ` +
    "(logged in as an administrator).",
});
