import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { payoutBatches, payouts } from "../db/schema/payouts.ts";
import { ok, type Result, refused } from "../errors.ts";
import {
  earningsAccount,
  InsufficientFundsError,
  PAYOUTS,
  PENDING_PAYOUTS,
  postEntry,
  walletAccount,
} from "../ledger/index.ts";
import { formatMoney } from "../money/format.ts";
import { PAYOUT_PAID_KIND, PAYOUT_RESERVE_KIND, PAYOUT_RETURN_KIND } from "./payable.ts";
import { PayoutError } from "./payout-errors.ts";
import {
  availableFor,
  findPayout,
  type Payout,
  type PayoutSource,
  payoutNotFound,
  selectPayouts,
  toPayout,
} from "./payouts.ts";

/*
 * The admin's side of payouts. Approving reserves the money at once, in the ledger
 * (earnings:<creator> or wallet:<person> → pending_payouts, key payout:<id>:reserve), so the same
 * money can never be in two batches; the batch is then exported (payout-export.ts) and, once the
 * bank has executed it, marked paid (pending_payouts → payouts, payout:<id>:paid). A transfer
 * that fails goes back where it came from (pending_payouts → source, payout:<id>:return). Every
 * step is one ledger entry with its own key, so a retried step is a replay, never a second move.
 */

const sourceAccount = (source: PayoutSource, userId: number): string =>
  source === "earnings" ? earningsAccount(userId) : walletAccount(userId);

const amountText = (p: Payout) => String(p.amount);

export interface Skipped {
  payout: Payout;
  reason: string;
}

export interface ApprovedBatch {
  batchId: number;
  approved: Payout[];
  /** Requests left waiting: their amount is no longer available (told why). */
  skipped: Skipped[];
}

/**
 * Approves requested payouts (the given ids, or every request) as one batch. Each amount is
 * checked again against what its source holds now and reserved in the same transaction; a request
 * that no longer fits stays requested and is reported. `nothing_to_approve` when none could be.
 */
export async function approvePayouts(
  db: Db,
  clock: Clock,
  config: Config,
  input: { ids?: readonly number[]; approvedBy: string },
): Promise<Result<ApprovedBatch, PayoutError>> {
  const outcome = await db.transaction(async (tx) => {
    const where = input.ids
      ? and(eq(payouts.status, "requested"), inArray(payouts.id, [...input.ids]))
      : eq(payouts.status, "requested");
    const requested = (
      await selectPayouts(tx).where(where).orderBy(asc(payouts.id)).for("update", { of: payouts })
    ).map(toPayout);
    const approved: Payout[] = [];
    const skipped: Skipped[] = [];
    let batchId: number | null = null;
    const now = clock.now();
    for (const p of requested) {
      if (p.currency !== config.currency) {
        skipped.push({ payout: p, reason: `it is in ${p.currency}, not ${config.currency}` });
        continue;
      }
      // One person's payouts are decided one at a time (also by two admins at once).
      await tx.execute(
        sql`select pg_advisory_xact_lock(x'7061796f'::int4, (${p.userId}::int8 % 2147483647)::int4)`,
      );
      const available = await availableFor(tx, clock, config, p.userId, p.source);
      if (p.amount > available) {
        skipped.push({
          payout: p,
          reason: `${formatMoney(p.amount, p.currency)} is more than the ${p.source === "earnings" ? "payable earnings" : "withdrawable wallet money"} of @${p.username} now (${formatMoney(available, p.currency)})`,
        });
        continue;
      }
      if (batchId === null) {
        const [b] = await tx
          .insert(payoutBatches)
          .values({ currency: config.currency, createdAt: now, approvedBy: input.approvedBy })
          .returning({ id: payoutBatches.id });
        batchId = b!.id;
      }
      try {
        await postEntry(tx, {
          idempotencyKey: `payout:${p.id}:reserve`,
          kind: PAYOUT_RESERVE_KIND,
          metadata: { payout: p.id, source: p.source, amount: amountText(p) },
          postings: [
            { account: sourceAccount(p.source, p.userId), currency: p.currency, amount: -p.amount },
            { account: PENDING_PAYOUTS, currency: p.currency, amount: p.amount },
          ],
        });
      } catch (e) {
        if (!(e instanceof InsufficientFundsError)) throw e;
        skipped.push({ payout: p, reason: "its source no longer holds the amount" });
        continue;
      }
      await tx
        .update(payouts)
        .set({ status: "approved", batchId, decidedAt: now })
        .where(eq(payouts.id, p.id));
      approved.push({ ...p, status: "approved", batchId, decidedAt: now });
    }
    return { batchId, approved, skipped };
  });
  if (outcome.batchId === null) {
    const why = outcome.skipped.map((s) => `#${s.payout.id}: ${s.reason}`).join("; ");
    return refused(
      new PayoutError(
        "nothing_to_approve",
        why ? `No request could be approved (${why}).` : "There are no payout requests to approve.",
      ),
    );
  }
  return ok({ batchId: outcome.batchId, approved: outcome.approved, skipped: outcome.skipped });
}

export interface BatchSummary {
  id: number;
  currency: string;
  createdAt: Date;
  approvedBy: string;
  payouts: Payout[];
}

export async function findBatch(db: Db, batchId: number): Promise<BatchSummary | null> {
  const [b] = await db.select().from(payoutBatches).where(eq(payoutBatches.id, batchId));
  if (!b) return null;
  const rows = await selectPayouts(db).where(eq(payouts.batchId, batchId)).orderBy(asc(payouts.id));
  return { ...b, payouts: rows.map(toPayout) };
}

export const batchNotFound = (id: number) =>
  new PayoutError("payout_not_found", `There is no payout batch #${id}.`);

/**
 * Marks the approved payouts of a batch paid (the bank executed the file): pending_payouts →
 * payouts. Already paid ones are left as they are; failed ones stay failed.
 */
export async function markBatchPaid(
  db: Db,
  clock: Clock,
  batchId: number,
): Promise<Result<{ paid: Payout[]; batch: BatchSummary }, PayoutError>> {
  const batch = await findBatch(db, batchId);
  if (!batch) return refused(batchNotFound(batchId));
  const paid = await db.transaction(async (tx) => {
    const rows = (
      await selectPayouts(tx)
        .where(and(eq(payouts.batchId, batchId), eq(payouts.status, "approved")))
        .orderBy(asc(payouts.id))
        .for("update", { of: payouts })
    ).map(toPayout);
    const now = clock.now();
    for (const p of rows) {
      await postEntry(tx, {
        idempotencyKey: `payout:${p.id}:paid`,
        kind: PAYOUT_PAID_KIND,
        metadata: { payout: p.id, source: p.source, batch: batchId, amount: amountText(p) },
        postings: [
          { account: PENDING_PAYOUTS, currency: p.currency, amount: -p.amount },
          { account: PAYOUTS, currency: p.currency, amount: p.amount },
        ],
      });
      await tx.update(payouts).set({ status: "paid", decidedAt: now }).where(eq(payouts.id, p.id));
    }
    return rows.map((p) => ({ ...p, status: "paid" as const, decidedAt: now }));
  });
  return ok({ paid, batch: (await findBatch(db, batchId))! });
}

/**
 * A payout that did not reach the person: an approved one returns to its source
 * (pending_payouts → earnings/wallet); a request is turned down (nothing had moved). A paid one
 * cannot fail here (`payout_state`): a transfer returned by the bank later is a new deposit.
 */
export async function failPayout(
  db: Db,
  clock: Clock,
  id: number,
  reason: string,
): Promise<Result<Payout, PayoutError>> {
  const note = reason.trim().slice(0, 500) || "The bank transfer failed.";
  const result = await db.transaction(async (tx) => {
    const [row] = await selectPayouts(tx).where(eq(payouts.id, id)).for("update", { of: payouts });
    if (!row) return refused(payoutNotFound(id));
    const p = toPayout(row);
    const now = clock.now();
    if (p.status === "requested") {
      await tx
        .update(payouts)
        .set({ status: "cancelled", decidedAt: now, note })
        .where(eq(payouts.id, id));
      return ok(p);
    }
    if (p.status !== "approved")
      return refused(
        new PayoutError(
          "payout_state",
          `Payout #${id} is ${p.status}: only a request or an approved payout can fail.`,
        ),
      );
    await postEntry(tx, {
      idempotencyKey: `payout:${p.id}:return`,
      kind: PAYOUT_RETURN_KIND,
      metadata: { payout: p.id, source: p.source, amount: amountText(p), reason: note },
      postings: [
        { account: PENDING_PAYOUTS, currency: p.currency, amount: -p.amount },
        { account: sourceAccount(p.source, p.userId), currency: p.currency, amount: p.amount },
      ],
    });
    await tx
      .update(payouts)
      .set({ status: "failed", decidedAt: now, note })
      .where(eq(payouts.id, id));
    return ok(p);
  });
  if (!result.ok) return result;
  return ok((await findPayout(db, id))!);
}
