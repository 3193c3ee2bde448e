import type { Db } from "../../db/client.ts";
import { BANK_SOURCE, type PostResult, recordDeposit } from "../../ledger/index.ts";
import type { ConfirmedPayment } from "./provider.ts";

/**
 * Credits a confirmed payment to the user's wallet, exactly once per (provider, reference): the
 * bank's references are used as they are (what admins type), other providers' are prefixed with
 * their id so two providers' ids can never collide. The provider's id is the deposit's source.
 */
export function creditPayment(db: Db, payment: ConfirmedPayment): Promise<PostResult> {
  const reference =
    payment.provider === BANK_SOURCE
      ? payment.reference
      : `${payment.provider}:${payment.reference}`;
  return recordDeposit(db, {
    userId: payment.userId,
    amount: payment.amount,
    currency: payment.currency,
    reference,
    source: payment.provider,
  });
}
