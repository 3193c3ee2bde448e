import { writeFile } from "node:fs/promises";
import type { Config } from "../../config/config.ts";
import { formatMoney } from "../../money/format.ts";
import { approvePayouts, failPayout, markBatchPaid } from "../../settlement/payout-batches.ts";
import { batchCsv, batchSepaXml } from "../../settlement/payout-export.ts";
import { listPayouts, type Payout, type PayoutStatus } from "../../settlement/payouts.ts";
import { command, parse, UsageError } from "../usage.ts";

/*
 * `fediflattr payouts list|approve|export|mark-paid|fail`: the admin's side of payouts, through
 * the same doors as /admin/payouts (src/settlement/payout-batches.ts, payout-export.ts).
 */

const STATUSES = ["requested", "approved", "paid", "failed", "cancelled"] as const;

const atPage = (origin: URL) =>
  `Do it on the server's page instead: ${new URL("/admin/payouts", origin).href} (logged in as an administrator).`;

function positiveId(text: string | undefined, what: string): number {
  if (!text || !/^[1-9][0-9]{0,15}$/.test(text))
    throw new UsageError(`Give the ${what} as a number.`);
  return Number(text);
}

/** One line per payout, columns aligned. */
export function payoutsTable(rows: Payout[], config: Config): string {
  const header = ["id", "user", "source", "amount", "status", "batch", "iban", "requested"];
  const lines = rows.map((p) => [
    String(p.id),
    `@${p.username}`,
    p.source,
    formatMoney(p.amount, p.currency),
    p.status,
    p.batchId === null ? "-" : String(p.batchId),
    p.iban,
    p.requestedAt.toLocaleString("sv-SE", { timeZone: config.timeZone }).slice(0, 16),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines]
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export const payoutsListCommand = command({
  name: "payouts list",
  usage: "[--status requested|approved|paid|failed|cancelled]",
  summary: "List payouts and wallet withdrawals (all, or in one state)",
  needs: "database",
  parse: (args) => {
    const { values, positionals } = parse(args, { status: { type: "string" } });
    if (positionals.length > 0) throw new UsageError("payouts list takes no arguments.");
    const status = values.status;
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
      throw new UsageError(`--status must be one of ${STATUSES.join(", ")}.`);
    return { status: status as PayoutStatus | undefined };
  },
  run: async ({ status }, { config, database }) => {
    const rows = await listPayouts(database.db, status);
    console.log(rows.length === 0 ? "No payouts." : payoutsTable(rows, config));
    return 0;
  },
  whileServing: (_i, origin) => atPage(origin),
});

export const payoutsApproveCommand = command({
  name: "payouts approve",
  usage: "<payout id>... | --all",
  summary: "Approve payout requests as one batch: their amounts are reserved at once",
  needs: "database",
  parse: (args) => {
    const { values, positionals } = parse(args, { all: { type: "boolean" } });
    if (values.all === true && positionals.length > 0)
      throw new UsageError("Give payout ids or --all, not both.");
    if (values.all !== true && positionals.length === 0)
      throw new UsageError("Give the ids of the requests to approve, or --all.");
    return {
      ids: values.all === true ? undefined : positionals.map((p) => positiveId(p, "payout id")),
    };
  },
  run: async ({ ids }, { config, database, clock }) => {
    const r = await approvePayouts(database.db, clock, config, { ids, approvedBy: "cli" });
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    const { batchId, approved, skipped } = r.value;
    const total = approved.reduce((s, p) => s + p.amount, 0n);
    console.log(
      `Batch #${batchId}: ${approved.length} payout(s), ${formatMoney(total, config.currency)} reserved. ` +
        `Export it with: fediflattr payouts export ${batchId}`,
    );
    for (const s of skipped) console.log(`Left waiting: #${s.payout.id}: ${s.reason}.`);
    return 0;
  },
  whileServing: (_i, origin) => atPage(origin),
});

export const payoutsExportCommand = command({
  name: "payouts export",
  usage: "<batch id> [--format sepa|csv] [--output <file>]",
  summary: "Write an approved batch as a SEPA credit transfer file (pain.001.001.03) or CSV",
  needs: "database",
  parse: (args) => {
    const { values, positionals } = parse(args, {
      format: { type: "string" },
      output: { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("Give one batch id.");
    const format = values.format ?? "sepa";
    if (format !== "sepa" && format !== "csv")
      throw new UsageError("--format must be sepa or csv.");
    return { batchId: positiveId(positionals[0], "batch id"), format, output: values.output };
  },
  run: async ({ batchId, format, output }, { config, database, clock }) => {
    const r =
      format === "sepa"
        ? await batchSepaXml(database.db, config, batchId, clock.now())
        : await batchCsv(database.db, batchId);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    const file = r.value;
    if (output === undefined) {
      process.stdout.write(file.body);
      return 0;
    }
    await writeFile(output, file.body);
    console.log(
      `Wrote ${output}: ${file.count} transfer(s), ${formatMoney(file.total, config.currency)}.`,
    );
    return 0;
  },
  whileServing: (_i, origin) => atPage(origin),
});

export const payoutsMarkPaidCommand = command({
  name: "payouts mark-paid",
  usage: "<batch id>",
  summary: "Record that the bank executed a batch: its approved payouts are paid",
  needs: "database",
  parse: (args) => {
    const { positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError("Give one batch id.");
    return { batchId: positiveId(positionals[0], "batch id") };
  },
  run: async ({ batchId }, { config, database, clock }) => {
    const r = await markBatchPaid(database.db, clock, batchId);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    const total = r.value.paid.reduce((s, p) => s + p.amount, 0n);
    console.log(
      r.value.paid.length === 0
        ? `Batch #${batchId} has no approved payout left: nothing changed.`
        : `Batch #${batchId}: ${r.value.paid.length} payout(s) paid, ${formatMoney(total, config.currency)}.`,
    );
    return 0;
  },
  whileServing: (_i, origin) => atPage(origin),
});

export const payoutsFailCommand = command({
  name: "payouts fail",
  usage: "<payout id> [--reason <text>]",
  summary: "A payout that did not reach its person: its money returns (a request is turned down)",
  needs: "database",
  parse: (args) => {
    const { values, positionals } = parse(args, { reason: { type: "string" } });
    if (positionals.length !== 1) throw new UsageError("Give one payout id.");
    return { id: positiveId(positionals[0], "payout id"), reason: values.reason ?? "" };
  },
  run: async ({ id, reason }, { config, database, clock }) => {
    const r = await failPayout(database.db, clock, id, reason);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    const p = r.value;
    console.log(
      p.status === "failed"
        ? `Payout #${id} failed: ${formatMoney(p.amount, config.currency)} returned to the ${p.source === "earnings" ? "earnings" : "wallet"} of @${p.username}.`
        : `Request #${id} turned down; nothing had moved.`,
    );
    return 0;
  },
  whileServing: (_i, origin) => atPage(origin),
});
