import SEPA from "sepa";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { ok, type Result, refused } from "../errors.ts";
import { formatAmount } from "../money/decimal.ts";
import { type BatchSummary, batchNotFound, findBatch } from "./payout-batches.ts";
import { PayoutError } from "./payout-errors.ts";
import type { Payout } from "./payouts.ts";

/*
 * An approved batch as the files a bank takes: a SEPA credit transfer initiation
 * (pain.001.001.03, built with the `sepa` package) and a CSV of the same lines. The file pays the
 * batch's approved and paid payouts (a failed one is left out), each to the details the person
 * had when they requested it.
 *
 * `sepa` takes amounts as JavaScript numbers and adds them up as floats. Each amount is handed
 * over from our decimal string (exact for any amount a SEPA transfer can carry), and the control
 * sums it writes are compared with our own bigint sums before the file is given out.
 */

const payable = (b: BatchSummary): Payout[] =>
  b.payouts.filter((p) => p.status === "approved" || p.status === "paid");

/** SEPA ids: at most 35 characters of a restricted set. */
const messageId = (b: BatchSummary) => `FEDIFLATTR-BATCH-${b.id}`;
export const endToEndId = (p: Payout) => `FEDIFLATTR-PAYOUT-${p.id}`;
const remittance = (p: Payout) =>
  p.source === "earnings" ? `Fediflattr payout ${p.id}` : `Fediflattr wallet withdrawal ${p.id}`;

export interface PayoutFile {
  filename: string;
  contentType: string;
  body: string;
  /** Transfers in the file and their total (minor units). */
  count: number;
  total: bigint;
}

async function loadBatch(db: Db, batchId: number): Promise<Result<BatchSummary, PayoutError>> {
  const b = await findBatch(db, batchId);
  if (!b) return refused(batchNotFound(batchId));
  if (payable(b).length === 0)
    return refused(
      new PayoutError("payout_state", `Batch #${batchId} has no payout left to pay (all failed).`),
    );
  return ok(b);
}

export async function batchSepaXml(
  db: Db,
  config: Config,
  batchId: number,
  now: Date,
): Promise<Result<PayoutFile, PayoutError>> {
  const { iban, accountHolder } = config.bank;
  if (config.currency !== "EUR" || !iban || !accountHolder)
    return refused(
      new PayoutError(
        "sepa_unavailable",
        config.currency !== "EUR"
          ? `SEPA transfers are in EUR; this instance uses ${config.currency}. Use the CSV file.`
          : "A SEPA file needs the instance's account: set BANK_IBAN and BANK_ACCOUNT_HOLDER (and BANK_BIC). Use the CSV file meanwhile.",
      ),
    );
  const loaded = await loadBatch(db, batchId);
  if (!loaded.ok) return loaded;
  const batch = loaded.value;
  const lines = payable(batch);
  const doc = new SEPA.Document("pain.001.001.03");
  doc.grpHdr.id = messageId(batch);
  doc.grpHdr.created = now;
  doc.grpHdr.initiatorName = accountHolder;
  const info = doc.createPaymentInfo();
  info.requestedExecutionDate = now;
  info.debtorIBAN = iban;
  info.debtorBIC = config.bankBic ?? "";
  info.debtorName = accountHolder;
  doc.addPaymentInfo(info);
  let total = 0n;
  for (const p of lines) {
    const tx = info.createTransaction();
    tx.creditorName = p.holder;
    tx.creditorIBAN = p.iban;
    tx.creditorBIC = p.bic;
    tx.amount = Number(formatAmount(p.amount, p.currency));
    tx.currency = p.currency;
    tx.end2endId = endToEndId(p);
    tx.remittanceInfo = remittance(p);
    info.addTransaction(tx);
    total += p.amount;
  }
  const body = doc.toString();
  doc.normalize();
  const written = doc.grpHdr.controlSum.toFixed(2);
  if (
    written !== formatAmount(total, config.currency) ||
    doc.grpHdr.transactionCount !== lines.length
  )
    throw new Error(
      `SEPA file of batch ${batchId}: control sum ${written} but the payouts sum to ${formatAmount(total, config.currency)}`,
    );
  return ok({
    filename: `payouts-batch-${batch.id}.xml`,
    contentType: "application/xml; charset=utf-8",
    body,
    count: lines.length,
    total,
  });
}

export const PAYOUT_CSV_COLUMNS = [
  "payout",
  "username",
  "source",
  "holder",
  "iban",
  "bic",
  "amount",
  "currency",
  "status",
  "end_to_end_id",
  "remittance",
] as const;

/** RFC 4180, and text a spreadsheet would run as a formula gets a leading apostrophe. */
function field(value: string, text: boolean): string {
  const s = text && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function batchCsv(db: Db, batchId: number): Promise<Result<PayoutFile, PayoutError>> {
  const loaded = await loadBatch(db, batchId);
  if (!loaded.ok) return loaded;
  const lines = payable(loaded.value);
  const rows = lines.map((p) =>
    [
      field(String(p.id), false),
      field(p.username, true),
      field(p.source, false),
      field(p.holder, true),
      field(p.iban, false),
      field(p.bic, false),
      field(formatAmount(p.amount, p.currency), false),
      field(p.currency, false),
      field(p.status, false),
      field(endToEndId(p), false),
      field(remittance(p), true),
    ].join(","),
  );
  return ok({
    filename: `payouts-batch-${batchId}.csv`,
    contentType: "text/csv; charset=utf-8",
    body: `${[PAYOUT_CSV_COLUMNS.join(","), ...rows].join("\r\n")}\r\n`,
    count: lines.length,
    total: lines.reduce((s, p) => s + p.amount, 0n),
  });
}
