import { and, desc, eq, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { pgError } from "../db/pg-error.ts";
import { users } from "../db/schema/accounts.ts";
import { payouts } from "../db/schema/payouts.ts";
import { ok, type Result, refused } from "../errors.ts";
import { formatMoney } from "../money/format.ts";
import { payableEarnings } from "./payable.ts";
import { getPayoutDetails } from "./payout-details.ts";
import { PayoutError } from "./payout-errors.ts";
import { withdrawableWallet } from "./withdrawable.ts";

/*
 * A person's side of payouts (issue 10 point 8, issue 12 point 4): request a payout of payable
 * earnings (source `earnings`) or a withdrawal of unspent wallet money (source `wallet`), see
 * their payouts, cancel one not yet approved. Nothing moves in the ledger until an admin approves
 * (src/settlement/payout-batches.ts), which checks the amount again.
 */

export type PayoutSource = "earnings" | "wallet";
export type PayoutStatus = "requested" | "approved" | "paid" | "failed" | "cancelled";

export interface Payout {
  id: number;
  userId: number;
  username: string;
  source: PayoutSource;
  amount: bigint;
  currency: string;
  status: PayoutStatus;
  holder: string;
  iban: string;
  bic: string;
  batchId: number | null;
  requestedAt: Date;
  decidedAt: Date | null;
  note: string | null;
}

const columns = {
  id: payouts.id,
  userId: payouts.userId,
  username: users.username,
  source: payouts.source,
  amount: payouts.amount,
  currency: payouts.currency,
  status: payouts.status,
  holder: payouts.holder,
  iban: payouts.iban,
  bic: payouts.bic,
  batchId: payouts.batchId,
  requestedAt: payouts.requestedAt,
  decidedAt: payouts.decidedAt,
  note: payouts.note,
};

type Row = { [K in keyof typeof columns]: unknown };
export const toPayout = (r: Row): Payout => r as Payout;

export function selectPayouts(db: Db) {
  return db.select(columns).from(payouts).innerJoin(users, eq(users.id, payouts.userId));
}

/** A person's payouts and withdrawals, newest first. */
export async function myPayouts(db: Db, userId: number, limit = 100): Promise<Payout[]> {
  const rows = await selectPayouts(db)
    .where(eq(payouts.userId, userId))
    .orderBy(desc(payouts.id))
    .limit(limit);
  return rows.map(toPayout);
}

/** What the source holds for a payout now: payable earnings, or withdrawable wallet money. */
export async function availableFor(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
  source: PayoutSource,
): Promise<bigint> {
  return source === "earnings"
    ? (await payableEarnings(db, clock, config, userId)).payable
    : (await withdrawableWallet(db, config, userId)).withdrawable;
}

export interface PayoutRequest {
  source: PayoutSource;
  /** Minor units; all that is available when omitted. */
  amount?: bigint | undefined;
}

/**
 * Requests a payout to the person's payout details. Refusals: `no_payout_details`,
 * `invalid_amount`, `below_minimum` (earnings under PAYOUT_MINIMUM), `not_payable` (more than
 * is available, or nothing is), `payout_open` (one request of that source is already waiting).
 */
export async function requestPayout(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
  input: PayoutRequest,
): Promise<Result<Payout, PayoutError>> {
  const m = (v: bigint) => formatMoney(v, config.currency);
  const details = await getPayoutDetails(db, userId);
  if (!details)
    return refused(
      new PayoutError(
        "no_payout_details",
        "Enter your payout details (account holder and IBAN) before requesting a payout.",
      ),
    );
  const available = await availableFor(db, clock, config, userId, input.source);
  const what = input.source === "earnings" ? "payable earnings" : "withdrawable wallet money";
  const amount = input.amount ?? available;
  if (input.amount !== undefined && input.amount <= 0n)
    return refused(new PayoutError("invalid_amount", "A payout must be a positive amount."));
  if (available <= 0n)
    return refused(new PayoutError("not_payable", `You have no ${what} at the moment.`));
  if (amount > available)
    return refused(
      new PayoutError(
        "not_payable",
        `${m(amount)} is more than your ${what} (${m(available)}). Nothing was requested.`,
      ),
    );
  if (input.source === "earnings" && amount < config.payoutMinimum)
    return refused(
      new PayoutError(
        "below_minimum",
        `A payout must be at least ${m(config.payoutMinimum)}; ${m(amount)} is below it.`,
      ),
    );
  try {
    const [row] = await db
      .insert(payouts)
      .values({
        userId,
        source: input.source,
        amount,
        currency: config.currency,
        status: "requested",
        holder: details.holder,
        iban: details.iban,
        bic: details.bic,
        requestedAt: clock.now(),
      })
      .returning({ id: payouts.id });
    return ok(await mustFind(db, row!.id));
  } catch (e) {
    if (pgError(e)?.constraint === "payouts_one_open")
      return refused(
        new PayoutError(
          "payout_open",
          input.source === "earnings"
            ? "You already have a payout request waiting for approval: cancel it first to request another amount."
            : "You already have a withdrawal waiting for approval: cancel it first to request another amount.",
        ),
      );
    throw e;
  }
}

export async function findPayout(db: Db, id: number): Promise<Payout | null> {
  const [row] = await selectPayouts(db).where(eq(payouts.id, id));
  return row ? toPayout(row) : null;
}

async function mustFind(db: Db, id: number): Promise<Payout> {
  const p = await findPayout(db, id);
  if (!p) throw new Error(`payout ${id} vanished`);
  return p;
}

export const payoutNotFound = (id: number) =>
  new PayoutError("payout_not_found", `There is no payout #${id}.`);

/** Cancels the person's own request while it waits for approval (`payout_state` after). */
export async function cancelPayout(
  db: Db,
  clock: Clock,
  userId: number,
  id: number,
): Promise<Result<Payout, PayoutError>> {
  const updated = await db
    .update(payouts)
    .set({ status: "cancelled", decidedAt: clock.now(), note: "Cancelled by you." })
    .where(and(eq(payouts.id, id), eq(payouts.userId, userId), eq(payouts.status, "requested")))
    .returning({ id: payouts.id });
  if (updated.length > 0) return ok(await mustFind(db, id));
  const p = await findPayout(db, id);
  if (!p || p.userId !== userId) return refused(payoutNotFound(id));
  return refused(
    new PayoutError(
      "payout_state",
      `Payout #${id} is ${p.status}; only a request can be cancelled.`,
    ),
  );
}

/** Every payout in a state (all when omitted), oldest first: the admin's queue. */
export async function listPayouts(db: Db, status?: PayoutStatus, limit = 500): Promise<Payout[]> {
  const q = selectPayouts(db);
  const rows = await (status ? q.where(eq(payouts.status, status)) : q)
    .orderBy(sql`${payouts.id}`)
    .limit(limit);
  return rows.map(toPayout);
}
