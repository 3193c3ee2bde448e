import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { formatAmount } from "../money/decimal.ts";
import type { Period } from "../periods/period.ts";
import { type Statement, statement } from "./statement.ts";

export const STATEMENT_CSV_COLUMNS = [
  "period",
  "section",
  "type",
  "date",
  "reference",
  "thing_id",
  "title",
  "url",
  "flattrs",
  "amount",
  "currency",
] as const;

type Row = Partial<Record<(typeof STATEMENT_CSV_COLUMNS)[number], string | number | null>>;

/**
 * One RFC 4180 field. Text a spreadsheet would run as a formula (=, +, -, @, tab, CR at the
 * start: titles and URLs come from users) gets a leading apostrophe; amounts are ours and signed.
 */
function field(value: string | number | null | undefined, text: boolean): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const TEXT_COLUMNS = new Set(["reference", "title", "url"]);

function line(row: Row): string {
  return STATEMENT_CSV_COLUMNS.map((c) => field(row[c], TEXT_COLUMNS.has(c))).join(",");
}

/** The statement as CSV: a header, then one line per item; CRLF line ends (RFC 4180). */
export function formatStatementCsv(s: Statement): string {
  const amt = (v: bigint) => formatAmount(v, s.currency);
  const base = { period: s.period, currency: s.currency };
  const rows: Row[] = [
    {
      ...base,
      section: "summary",
      type: "status",
      reference: s.final ? `${s.status}` : `${s.status} (projected)`,
    },
    {
      ...base,
      section: "payer",
      type: "budget",
      amount: s.payer.budget === null ? "" : amt(s.payer.budget),
    },
    { ...base, section: "payer", type: "opening_balance", amount: amt(s.payer.opening) },
    ...s.payer.movements.map((m) => ({
      ...base,
      section: "payer",
      type: m.kind,
      date: m.createdAt.toISOString(),
      // A deposit's bank reference, as the wallet page shows it: what people match with their bank.
      reference:
        typeof m.metadata.reference === "string" && m.metadata.reference !== ""
          ? `entry ${m.entryId}, reference ${m.metadata.reference}`
          : `entry ${m.entryId}`,
      amount: amt(m.amount),
    })),
    { ...base, section: "payer", type: "closing_balance", amount: amt(s.payer.closing) },
    {
      ...base,
      section: "payer",
      type: "spent",
      flattrs: s.payer.flattrs.length,
      amount: amt(s.payer.spent),
    },
    { ...base, section: "payer", type: "fee", amount: amt(s.payer.fee) },
    ...s.payer.flattrs.map((f) => ({
      ...base,
      section: "payer",
      type: "flattr",
      date: f.createdAt.toISOString(),
      reference: f.owner.username,
      thing_id: f.thingId,
      title: f.title,
      url: f.url,
      flattrs: 1,
      amount: amt(f.value),
    })),
    ...s.creator.things.map((t) => ({
      ...base,
      section: "creator",
      type: "thing",
      thing_id: t.thingId,
      title: t.title,
      url: t.url,
      flattrs: t.flattrs,
      amount: amt(t.amount),
    })),
    {
      ...base,
      section: "creator",
      type: "total",
      flattrs: s.creator.flattrs,
      amount: amt(s.creator.total),
    },
  ];
  return [STATEMENT_CSV_COLUMNS.join(","), ...rows.map(line)].map((l) => `${l}\r\n`).join("");
}

/** statement() as CSV. */
export async function statementCsv(
  db: Db,
  config: Config,
  userId: number,
  period: Period,
): Promise<string> {
  return formatStatementCsv(await statement(db, config, userId, period));
}
