/*
 * Payment providers: how money gets into wallets. A provider knows its own protocol: what a user
 * who wants to top up is shown or sent to (startTopUp, the wallet page's box), and how a payment
 * becomes known (for the bank, an admin finds it on the statement and records it through
 * recordBankDeposit, src/settlement/deposits.ts). Crediting a known payment is one function for
 * all of them, creditPayment() (credit.ts), which posts through the ledger's recordDeposit with
 * the provider's id as the deposit's source. Adding a provider touches neither the ledger nor the
 * accounts: implement this interface, list it in paymentProviders() (index.ts), give it a door
 * that confirms its payments.
 *
 * Lives above the ledger (settlement may depend on ledger, never the reverse), next to the close,
 * the other way money moves between accounts.
 */

/** A payment its provider confirmed, to be credited once. */
export interface ConfirmedPayment {
  /** The provider's id (PaymentProvider.id): the deposit's source in the ledger. */
  provider: string;
  /** Unique per payment within the provider: the bank's transaction id, a payment intent id. */
  reference: string;
  userId: number;
  /** Minor units credited to the wallet (after the provider's own fees, if it deducts them). */
  amount: bigint;
  currency: string;
}

export interface TopUpRequest {
  userId: number;
  /** Null when the user did not choose an amount (bank transfers: any amount). */
  amount: bigint | null;
  currency: string;
}

/**
 * What the wallet page shows a user who wants to top up. One kind so far, the manual transfer;
 * a hosted checkout adds `{ kind: "redirect"; url }` together with the page that follows it.
 */
export interface TopUpStart {
  kind: "transfer";
  /** The user's own reference, the same on all their transfers: how a transfer finds the wallet. */
  reference: string;
  /** Where to send the money ("Flattr e.V., IBAN DE89 3704 …"), or null if the instance has not said. */
  payTo: string | null;
}

export interface PaymentProvider {
  /** Stable, short, lowercase: "bank". Stored as the source of every deposit it confirms. */
  readonly id: string;
  /** Shown to users ("Bank transfer"). */
  readonly name: string;
  startTopUp(request: TopUpRequest): Promise<TopUpStart>;
}
