import { unwrap } from "../errors.ts";
import { endpoint } from "../http/endpoint.ts";
import { formatAmount } from "../money/decimal.ts";
import { payableEarnings } from "../settlement/payable.ts";
import { getPayoutDetails, setPayoutDetails } from "../settlement/payout-details.ts";
import { myPayouts, type Payout, requestPayout } from "../settlement/payouts.ts";
import { withdrawableWallet } from "../settlement/withdrawable.ts";
import { amountIn } from "./input.ts";
import { BODY_ERRORS } from "./responses.ts";
import type { Out } from "./schemas.ts";
import {
  PayoutDetailsInput,
  PayoutDetailsSchema,
  PayoutRequestInput,
  PayoutSchema,
  Payouts,
} from "./schemas-payouts.ts";

/*
 * Payouts in the REST API: what is payable and withdrawable, the payout details, requests. The
 * doors are src/settlement/payouts.ts and payout-details.ts; an admin approves on /admin/payouts
 * or with `fediflattr payouts approve`.
 */

function payoutJson(p: Payout): Out<typeof PayoutSchema> {
  return {
    id: p.id,
    source: p.source,
    amount: formatAmount(p.amount, p.currency),
    currency: p.currency,
    status: p.status,
    iban: p.iban,
    requested_at: p.requestedAt.toISOString(),
    decided_at: p.decidedAt ? p.decidedAt.toISOString() : null,
    note: p.note,
  };
}

const getPayouts = endpoint(
  {
    method: "get",
    path: "/me/payouts",
    operationId: "getPayouts",
    summary: "Your payable earnings, withdrawable wallet money, payout details and payouts",
    tags: ["payouts"],
    auth: "read",
    responses: { 200: { description: "Payouts.", json: Payouts } },
  },
  async (c, { user }) => {
    const { config, database, clock } = c.var.deps;
    const db = database.db;
    const [earnings, wallet, details, payouts] = await Promise.all([
      payableEarnings(db, clock, config, user.id),
      withdrawableWallet(db, config, user.id),
      getPayoutDetails(db, user.id),
      myPayouts(db, user.id),
    ]);
    const amt = (v: bigint) => formatAmount(v, config.currency);
    return c.json({
      currency: config.currency,
      earnings: {
        balance: amt(earnings.balance),
        payable: amt(earnings.payable),
        not_yet_payable: amt(earnings.notYetPayable),
        awaiting_from_peers: amt(earnings.awaitingFromPeers),
        payable_through: earnings.payableThrough,
        next_payable_on: earnings.nextPayableOn,
        minimum: amt(earnings.minimum),
        can_request: earnings.canRequest,
      },
      wallet: {
        balance: amt(wallet.balance),
        committed: amt(wallet.committed),
        withdrawable: amt(wallet.withdrawable),
      },
      details: details && {
        holder: details.holder,
        iban: details.iban,
        bic: details.bic || null,
        updated_at: details.updatedAt.toISOString(),
      },
      payouts: payouts.map(payoutJson),
    } satisfies Out<typeof Payouts>);
  },
);

const postPayout = endpoint(
  {
    method: "post",
    path: "/me/payouts",
    operationId: "requestPayout",
    summary: "Request a payout of payable earnings, or withdraw unspent wallet money",
    description:
      "Paid to your payout details by bank transfer once an admin approves it. `source` " +
      "earnings (default) must reach the minimum; wallet withdraws money not committed to the " +
      "flattrs of months not closed yet. Refusals: 422 no_payout_details, invalid_amount, " +
      "below_minimum, not_payable; 409 payout_open (one request per source at a time).",
    tags: ["payouts"],
    auth: "write",
    body: PayoutRequestInput,
    bodyExample: { source: "earnings" },
    responses: { 201: { description: "Requested.", json: PayoutSchema }, ...BODY_ERRORS },
  },
  async (c, { user, body }) => {
    const { config, database, clock } = c.var.deps;
    const amount =
      body.amount === undefined ? undefined : amountIn(body.amount, "amount", config.currency);
    const source = body.source ?? "earnings";
    const p = unwrap(await requestPayout(database.db, clock, config, user.id, { source, amount }));
    return c.json(payoutJson(p), 201);
  },
);

const putPayoutDetails = endpoint(
  {
    method: "put",
    path: "/me/payout-details",
    operationId: "setPayoutDetails",
    summary: "Set where payouts go (account holder, IBAN, BIC)",
    description:
      "Checked: the IBAN's format and check digits, a SEPA country, the BIC's form and country. " +
      "Refusals: 422 invalid_holder, invalid_iban, invalid_bic. Requests made before keep the " +
      "details they were made with.",
    tags: ["payouts"],
    auth: "write",
    body: PayoutDetailsInput,
    bodyExample: { holder: "Alice Example", iban: "DE02 1203 0000 0000 2020 51" },
    responses: { 200: { description: "Saved.", json: PayoutDetailsSchema }, ...BODY_ERRORS },
  },
  async (c, { user, body }) => {
    const { database, clock } = c.var.deps;
    const d = unwrap(await setPayoutDetails(database.db, clock, user.id, body));
    return c.json({
      holder: d.holder,
      iban: d.iban,
      bic: d.bic || null,
      updated_at: d.updatedAt.toISOString(),
    } satisfies Out<typeof PayoutDetailsSchema>);
  },
);

export const payoutEndpoints = [getPayouts, postPayout, putPayoutDetails];
