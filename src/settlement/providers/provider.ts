/*
 * Payment providers: how money gets into wallets. A provider knows its own protocol (a bank
 * statement, a card processor's webhook) and produces ConfirmedPayments; crediting them is one
 * function, creditPayment(), which posts through the ledger's recordDeposit. Adding a provider
 * therefore touches neither the ledger nor the accounts: implement this interface, register it.
 *
 * Lives above the ledger (settlement may depend on ledger, never the reverse), next to payouts,
 * the other way money crosses the instance boundary.
 */

export interface ConfirmedPayment {
  /** Provider id, e.g. "bank", "stripe". */
  provider: string;
  /** Unique per payment within the provider: the bank's transaction id, a payment intent id. */
  reference: string;
  userId: number;
  /** Minor units credited to the wallet (after the provider's own fees, if it deducts them). */
  amount: bigint;
  currency: string;
}

export type TopUpStart =
  /** Manual flows: tell the user what to do (bank transfer with their personal reference). */
  | { kind: "instructions"; reference: string; lines: string[] }
  /** Hosted flows: send the user to the provider's checkout. */
  | { kind: "redirect"; url: string };

export interface PaymentProvider {
  readonly id: string;
  /** Shown to users ("Bank transfer"). */
  readonly name: string;
  /** What the wallet page shows / where it sends a user who wants to top up. */
  startTopUp(request: {
    userId: number;
    /** Null when the user did not choose an amount (bank transfers: any amount). */
    amount: bigint | null;
    currency: string;
  }): Promise<TopUpStart>;
  /**
   * For providers that call back: verify (signature, origin) and decode a notification into
   * payments. Must throw on anything unverified; must be safe to call again with the same
   * notification (crediting is idempotent by reference).
   */
  parseNotification?(request: Request): Promise<ConfirmedPayment[]>;
}
