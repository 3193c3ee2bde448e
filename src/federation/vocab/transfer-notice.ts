import * as v from "valibot";
import { formatAmount, parseAmount } from "../../money/decimal.ts";
import { FLATTR_NS } from "./namespace.ts";

/*
 * The transfer notice (docs/PROTOCOL.md, "Transfer notices"): an `Announce` from our instance
 * actor to the peer's, whose object is a transfer an admin recorded here (amount, currency, bank
 * reference, direction, date). Plain JSON with an inline context, signed like the summaries (HTTP
 * signature and FEP-8b32 proof); a pure builder and a valibot reader.
 */

const AS = "https://www.w3.org/ns/activitystreams";
const DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v1";

export const TRANSFER_CONTEXT = {
  flattr: FLATTR_NS,
  FlattrTransfer: "flattr:Transfer",
  flattrDirection: "flattr:direction",
  flattrAmount: "flattr:amount",
  flattrCurrency: "flattr:currency",
  flattrReference: "flattr:reference",
} as const;

/** `Object` first, for servers that refuse an object with only a type they do not know. */
const TRANSFER_TYPES = ["Object", "FlattrTransfer"];

export interface TransferNoticeMessage {
  /** The transfer's id on the sender (the notice's id is it plus `/notice`). */
  id: string;
  actor: string;
  to: string;
  /** The sender's side: sent (it paid the receiver) or received (it was paid by the receiver). */
  direction: "sent" | "received";
  amount: bigint;
  currency: string;
  reference: string;
  /** When the sender's admin recorded it. */
  published: Date;
}

export function buildTransferNotice(m: TransferNoticeMessage): Record<string, unknown> {
  return {
    "@context": [AS, DATA_INTEGRITY, TRANSFER_CONTEXT],
    id: `${m.id}/notice`,
    type: "Announce",
    actor: m.actor,
    to: m.to,
    object: {
      id: m.id,
      type: TRANSFER_TYPES,
      flattrDirection: m.direction,
      flattrAmount: formatAmount(m.amount, m.currency),
      flattrCurrency: m.currency,
      flattrReference: m.reference,
      published: `${m.published.toISOString().slice(0, 19)}Z`,
    },
  };
}

const hasTransferType = (t: unknown) =>
  t === "FlattrTransfer" || (Array.isArray(t) && t.includes("FlattrTransfer"));

/** Whether a JSON body is a transfer notice (then it is ours to read, not Fedify's). */
export function isTransferNotice(json: Record<string, unknown>): boolean {
  const o = json.object;
  return typeof o === "object" && o !== null && hasTransferType((o as { type?: unknown }).type);
}

const URL_STRING = v.pipe(v.string(), v.maxLength(2000), v.url());

const Notice = v.object({
  id: URL_STRING,
  type: v.literal("Announce"),
  actor: URL_STRING,
  object: v.object({
    id: URL_STRING,
    type: v.custom<unknown>(hasTransferType, "the object must be a FlattrTransfer"),
    flattrDirection: v.picklist(["sent", "received"]),
    flattrAmount: v.pipe(v.string(), v.maxLength(30)),
    flattrCurrency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
    flattrReference: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
    published: v.pipe(v.string(), v.isoTimestamp()),
  }),
});

/** Reads a notice; a string says what is wrong with it. */
export function readTransferNotice(json: unknown): Omit<TransferNoticeMessage, "to"> | string {
  const r = v.safeParse(Notice, json);
  if (!r.success) return `Malformed transfer notice: ${r.issues[0].message}`;
  const o = r.output.object;
  if (r.output.id !== `${o.id}/notice`)
    return "The notice's id is not its transfer's id + /notice.";
  const amount = parseAmount(o.flattrAmount, o.flattrCurrency);
  if (amount === null || amount <= 0n)
    return `flattrAmount "${o.flattrAmount}" is not a positive amount in ${o.flattrCurrency}.`;
  return {
    id: o.id,
    actor: r.output.actor,
    direction: o.flattrDirection,
    amount,
    currency: o.flattrCurrency,
    reference: o.flattrReference,
    published: new Date(o.published),
  };
}
