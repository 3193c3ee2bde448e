import * as v from "valibot";
import { Amount, Currency, Period } from "./schemas.ts";

/*
 * Schemas of payouts and wallet withdrawals (issue 10 point 8, issue 12 point 4). Their own file
 * to keep schemas.ts readable; openapi.ts names PAYOUT_COMPONENTS next to COMPONENTS.
 */

const str = (description: string) => v.pipe(v.string(), v.description(description));
const int = (description: string) => v.pipe(v.number(), v.integer(), v.description(description));
const time = (description: string) =>
  v.pipe(v.string(), v.isoTimestamp(), v.description(description));
const amount = (description: string) => v.pipe(Amount, v.description(description));
const day = (description: string) =>
  v.pipe(v.string(), v.regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/), v.description(description));

export const PayoutSourceSchema = v.pipe(
  v.picklist(["earnings", "wallet"]),
  v.description(
    "earnings: payable earnings of your things; wallet: unspent wallet money (a withdrawal).",
  ),
);

export const PayoutDetailsSchema = v.strictObject({
  holder: str("Account holder."),
  iban: str("IBAN, electronic format (no spaces)."),
  bic: v.pipe(v.nullable(v.string()), v.description("BIC, or null when not given.")),
  updated_at: time("When they were last changed."),
});

export const PayoutDetailsInput = v.object({
  holder: v.pipe(v.string(), v.description("Account holder, up to 70 characters.")),
  iban: v.pipe(
    v.string(),
    v.description("IBAN of a SEPA country; spaces allowed (422 invalid_iban otherwise)."),
  ),
  bic: v.optional(
    v.pipe(v.string(), v.description("BIC, optional; of the IBAN's country (422 invalid_bic).")),
  ),
});

export const PayoutSchema = v.strictObject({
  id: int("Payout id."),
  source: PayoutSourceSchema,
  amount: amount("What is paid out."),
  currency: Currency,
  status: v.pipe(
    v.picklist(["requested", "approved", "paid", "failed", "cancelled"]),
    v.description(
      "requested: waiting for an admin; approved: reserved, in a bank transfer batch; paid: " +
        "the transfer was executed; failed: it did not reach you and the money went back; " +
        "cancelled: withdrawn before approval.",
    ),
  ),
  iban: str("The account it is paid to (the details when it was requested)."),
  requested_at: time("When it was requested."),
  decided_at: v.pipe(
    v.nullable(time("")),
    v.description("When it was approved, paid, failed or cancelled."),
  ),
  note: v.pipe(v.nullable(v.string()), v.description("Why it failed or was cancelled.")),
});

export const Payouts = v.strictObject({
  currency: Currency,
  earnings: v.strictObject({
    balance: amount("Your earnings now, payable or not."),
    payable: amount("What you may request now."),
    not_yet_payable: amount("Earned in months whose settlement day has not come."),
    awaiting_from_peers: amount("Credited by other servers but not transferred by them yet."),
    payable_through: Period,
    next_payable_on: day("The day the next month becomes payable (instance time zone)."),
    minimum: amount("PAYOUT_MINIMUM: a payout request must reach it."),
    can_request: v.pipe(v.boolean(), v.description("payable ≥ minimum.")),
  }),
  wallet: v.strictObject({
    balance: amount("Wallet balance."),
    committed: amount("Set aside for flattrs of months not closed yet (their budget)."),
    withdrawable: amount("What you may withdraw now."),
  }),
  details: v.pipe(v.nullable(PayoutDetailsSchema), v.description("Where payouts go, if set.")),
  payouts: v.pipe(
    v.array(PayoutSchema),
    v.description("Your payouts and withdrawals, newest first."),
  ),
});

export const PayoutRequestInput = v.object({
  source: v.optional(PayoutSourceSchema),
  amount: v.optional(
    v.pipe(Amount, v.description("How much; all that is available when omitted.")),
  ),
});

export const PAYOUT_COMPONENTS = {
  PayoutDetails: PayoutDetailsSchema,
  PayoutDetailsInput,
  Payout: PayoutSchema,
  Payouts,
  PayoutRequestInput,
};
