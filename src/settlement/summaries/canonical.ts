import { createHash, type Hash } from "node:crypto";
import { canonicalJson } from "../../ledger/index.ts";
import { formatAmount } from "../../money/decimal.ts";

/*
 * The canonical form of a settlement summary and its lines (docs/PROTOCOL.md, "Settlement:
 * canonical form and hashes"). Both sides compute the same bytes: JSON with object keys sorted by
 * UTF-16 code units, no whitespace, amounts as decimal strings, counts as integers (the JSON
 * Canonicalization Scheme, RFC 8785, for the values we use). A summary's hash covers its fields,
 * including the hash of its previous summary to the same peer and the hash of its lines, so the
 * chain of hashes pins every line of every summary ever sent.
 */

export interface SummaryFields {
  period: string;
  currency: string;
  /** 1, 2, … per (sender, receiver). */
  sequence: number;
  /** The hash of the summary with sequence − 1 to the same receiver; null for sequence 1. */
  previous: string | null;
  /** Minor units. */
  total: bigint;
  lineCount: number;
  flattrCount: number;
  linesHash: string;
}

/** One line: what one creator is paid, and for what. */
export type SummaryLine = {
  /** The creator's actor id on the receiving instance. */
  creator: string;
  amount: bigint;
  flattrs: number;
} & ({ likes: string[]; claim?: undefined } | { claim: string; likes?: undefined });

/** The canonical JSON text of a summary's fields. */
export function summaryCanonical(f: SummaryFields): string {
  return canonicalJson({
    type: "FlattrSettlementSummary",
    period: f.period,
    currency: f.currency,
    sequence: f.sequence,
    previous: f.previous,
    total: formatAmount(f.total, f.currency),
    lineCount: f.lineCount,
    flattrCount: f.flattrCount,
    linesHash: f.linesHash,
  });
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** sha256 (lowercase hex) of the summary's canonical JSON. */
export function summaryHash(f: SummaryFields): string {
  return sha256(summaryCanonical(f));
}

/** The canonical JSON of one line, as the lines collection serves it. */
export function lineJson(line: SummaryLine, currency: string): Record<string, unknown> {
  const base = {
    creator: line.creator,
    amount: formatAmount(line.amount, currency),
    flattrs: line.flattrs,
  };
  return line.claim !== undefined ? { ...base, claim: line.claim } : { ...base, likes: line.likes };
}

/**
 * canonicalJson(lineJson(line)) written out: the keys in their sorted order (amount < claim <
 * creator < flattrs < likes), strings and the Likes as JSON.stringify writes them, which is what
 * the generic walk does for these values. Hashing 100,000 lines through the generic walk (entries,
 * sort, recursion per Like) took seconds on each side (bench/README.md, "summary").
 */
export function lineCanonical(line: SummaryLine, currency: string): string {
  if (!Number.isSafeInteger(line.flattrs)) throw new TypeError("flattrs must be an integer");
  const amount = JSON.stringify(formatAmount(line.amount, currency));
  const creator = JSON.stringify(line.creator);
  if (line.claim !== undefined)
    return `{"amount":${amount},"claim":${JSON.stringify(line.claim)},"creator":${creator},"flattrs":${line.flattrs}}`;
  return `{"amount":${amount},"creator":${creator},"flattrs":${line.flattrs},"likes":${JSON.stringify(line.likes)}}`;
}

/**
 * The lines' hash, fed one line at a time (a summary may have 100,000): sha256 over each line's
 * canonical JSON followed by a newline, in the collection's order.
 */
export class LinesHasher {
  readonly #hash: Hash = createHash("sha256");
  count = 0;
  flattrs = 0;
  total = 0n;

  constructor(readonly currency: string) {}

  add(line: SummaryLine): void {
    this.#hash.update(`${lineCanonical(line, this.currency)}\n`, "utf8");
    this.count++;
    this.flattrs += line.flattrs;
    this.total += line.amount;
  }

  digest(): string {
    return this.#hash.digest("hex");
  }
}

/** The lines' hash of a whole list. */
export function linesHash(lines: SummaryLine[], currency: string): string {
  const h = new LinesHasher(currency);
  for (const l of lines) h.add(l);
  return h.digest();
}
