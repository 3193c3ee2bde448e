import type { Config } from "../../config/config.ts";
import { BANK_SOURCE, transferReference } from "../../ledger/index.ts";
import type { PaymentProvider } from "./provider.ts";

/**
 * Manual bank transfer (Liberapay's flow): the user transfers any amount to the instance's account
 * with their personal reference; an admin sees it on the bank statement and records it
 * (`/admin/deposits` or `fediflattr deposit`, both through recordBankDeposit). Its id is the
 * ledger's BANK_SOURCE, whose references are compared without case, spaces and dashes.
 */
export function bankTransferProvider(bank: Config["bank"]): PaymentProvider {
  return {
    id: BANK_SOURCE,
    name: "Bank transfer",
    async startTopUp({ userId }) {
      return { kind: "transfer", reference: transferReference(userId), payTo: payTo(bank) };
    },
  };
}

/** "Account holder, IBAN DE89 3704 …" from the configuration, or null when none is set. */
function payTo({ accountHolder, iban }: Config["bank"]): string | null {
  const parts = [
    accountHolder,
    iban ? `IBAN ${iban.replace(/(.{4})(?=.)/g, "$1 ")}` : undefined,
  ].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(", ") : null;
}
