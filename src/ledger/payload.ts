import { createHash } from "node:crypto";

export interface Posting {
  account: string;
  currency: string;
  /** Signed minor units, never zero. */
  amount: bigint;
}

/** JSON with sorted object keys, so equal payloads hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") throw new TypeError("bigint in metadata: use a decimal string");
    if (typeof value === "number" && !Number.isFinite(value))
      throw new TypeError("non-finite number in metadata");
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError(`not JSON: ${typeof value}`);
    return s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function comparePostings(a: Posting, b: Posting): number {
  if (a.account !== b.account) return a.account < b.account ? -1 : 1;
  if (a.currency !== b.currency) return a.currency < b.currency ? -1 : 1;
  return a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0;
}

/** What makes two requests with one idempotency key "the same": everything but the key. */
export function payloadHash(p: {
  kind: string;
  period: string | null;
  metadata: Record<string, unknown>;
  postings: Posting[];
  reversesEntryId: number | null;
}): string {
  const postings = [...p.postings]
    .sort(comparePostings)
    .map((x) => [x.account, x.currency, x.amount.toString()]);
  const text = canonicalJson({
    kind: p.kind,
    period: p.period,
    metadata: p.metadata,
    postings,
    reverses: p.reversesEntryId,
  });
  return createHash("sha256").update(text).digest("hex");
}
