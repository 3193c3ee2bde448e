import type { Config } from "../../config/config.ts";
import { bankTransferProvider } from "./bank-transfer.ts";
import type { PaymentProvider } from "./provider.ts";

/** The ways to top up a wallet on this instance, in the order the wallet page offers them. */
export function paymentProviders(config: Config): PaymentProvider[] {
  return [bankTransferProvider(config.bank)];
}
