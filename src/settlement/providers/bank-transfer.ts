import { transferReference } from "../../ledger/index.ts";
import type { PaymentProvider } from "./provider.ts";

/**
 * Manual bank transfer (Liberapay's flow): the user transfers any amount with their personal
 * reference; an admin sees it on the bank statement and records it (admin page or
 * `fediflattr deposit <username> <amount> --reference <bank transaction id>`).
 */
export function bankTransferProvider(
  bank: { accountHolder?: string; iban?: string } = {},
): PaymentProvider {
  return {
    id: "bank",
    name: "Bank transfer",
    async startTopUp({ userId }) {
      const reference = transferReference(userId);
      const lines = [
        ...(bank.accountHolder ? [`Account holder: ${bank.accountHolder}`] : []),
        ...(bank.iban ? [`IBAN: ${bank.iban}`] : []),
        `Reference: ${reference} (always the same for you; please include it exactly)`,
        "Your wallet is credited when an administrator has recorded the transfer.",
      ];
      return { kind: "instructions", reference, lines };
    },
  };
}
