import * as v from "valibot";
import { formatAmount, parseAmount } from "../../money/decimal.ts";
import type { SummaryFields, SummaryLine } from "../../settlement/summaries/canonical.ts";
import { FLATTR_NS } from "./namespace.ts";

/*
 * Settlement messages between instance actors (docs/PROTOCOL.md, "Settlement"): the summary
 * `Offer`, its withdrawal (`Undo` of the `Offer`), and the answers (`Accept`, `Reject`). Plain
 * JSON with an inline context for our terms; pure builders and valibot readers. The lines
 * collection's pages are plain JSON (not JSON-LD): they are data, hashed as they are.
 */

const AS = "https://www.w3.org/ns/activitystreams";
const DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v1";

export const SETTLEMENT_CONTEXT = {
  flattr: FLATTR_NS,
  FlattrSettlementSummary: "flattr:SettlementSummary",
  flattrPeriod: "flattr:period",
  flattrCurrency: "flattr:currency",
  flattrSequence: "flattr:sequence",
  flattrPrevious: "flattr:previous",
  flattrTotal: "flattr:total",
  flattrLineCount: "flattr:lineCount",
  flattrFlattrCount: "flattr:flattrCount",
  flattrLinesHash: "flattr:linesHash",
  flattrLines: { "@id": "flattr:lines", "@type": "@id" },
  flattrHash: "flattr:hash",
  flattrReason: "flattr:reason",
  flattrFinal: "flattr:final",
  flattrWithdrawn: "flattr:withdrawn",
} as const;

const CONTEXT = [AS, DATA_INTEGRITY, SETTLEMENT_CONTEXT];

/**
 * The summary object's types: ours, and `Object` first, because Fedify (and likely other
 * servers) refuse an activity whose object has only a type they do not know.
 */
const SUMMARY_TYPES = ["Object", "FlattrSettlementSummary"];
const hasSummaryType = (t: unknown) =>
  t === "FlattrSettlementSummary" || (Array.isArray(t) && t.includes("FlattrSettlementSummary"));
const SummaryType = v.custom<unknown>(
  hasSummaryType,
  "the object must be a FlattrSettlementSummary",
);

export interface SummaryMessage {
  /** The summary object's id (on the sender). */
  id: string;
  actor: string;
  to: string;
  fields: SummaryFields;
  hash: string;
  linesUrl: string;
}

function summaryObject(m: SummaryMessage) {
  const f = m.fields;
  return {
    id: m.id,
    type: SUMMARY_TYPES,
    flattrPeriod: f.period,
    flattrCurrency: f.currency,
    flattrSequence: f.sequence,
    flattrPrevious: f.previous,
    flattrTotal: formatAmount(f.total, f.currency),
    flattrLineCount: f.lineCount,
    flattrFlattrCount: f.flattrCount,
    flattrLinesHash: f.linesHash,
    flattrLines: m.linesUrl,
    flattrHash: m.hash,
  };
}

/** The summary, offered by our instance actor to the peer's (FEP-0837's `Offer`, our object). */
export function buildSummaryOffer(m: SummaryMessage): Record<string, unknown> {
  return {
    "@context": CONTEXT,
    id: `${m.id}/offer`,
    type: "Offer",
    actor: m.actor,
    to: m.to,
    object: summaryObject(m),
  };
}

/** The withdrawal of a summary the peer has not accepted: an `Undo` of the `Offer`. */
export function buildWithdrawal(m: SummaryMessage): Record<string, unknown> {
  const { "@context": _c, ...offer } = buildSummaryOffer(m);
  return {
    "@context": CONTEXT,
    id: `${m.id}/withdrawal`,
    type: "Undo",
    actor: m.actor,
    to: m.to,
    object: offer,
  };
}

export type AnswerMessage =
  | { kind: "accept" }
  | { kind: "withdrawn" }
  | { kind: "reject"; reason: string; final: boolean; message: string };

/** Our answer to a peer's summary `summaryId` (its object id) with `hash`. */
export function buildAnswer(
  id: string,
  actor: string,
  to: string,
  summary: { id: string; hash: string },
  answer: AnswerMessage,
): Record<string, unknown> {
  const base = {
    "@context": CONTEXT,
    id,
    type: answer.kind === "reject" ? "Reject" : "Accept",
    actor,
    to,
    object: { id: summary.id, type: SUMMARY_TYPES, flattrHash: summary.hash },
  };
  if (answer.kind === "withdrawn") return { ...base, flattrWithdrawn: true };
  if (answer.kind === "reject")
    return {
      ...base,
      flattrReason: answer.reason,
      flattrFinal: answer.final,
      content: answer.message,
    };
  return base;
}

// --- Reading --------------------------------------------------------------------------------

const HEX64 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const URL_STRING = v.pipe(v.string(), v.maxLength(2000), v.url());

const SummaryObject = v.object({
  id: URL_STRING,
  type: SummaryType,
  flattrPeriod: v.pipe(v.string(), v.regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/)),
  flattrCurrency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
  flattrSequence: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31 - 1)),
  flattrPrevious: v.nullable(HEX64),
  flattrTotal: v.pipe(v.string(), v.maxLength(30)),
  flattrLineCount: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31 - 1)),
  flattrFlattrCount: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31 - 1)),
  flattrLinesHash: HEX64,
  flattrLines: URL_STRING,
  flattrHash: HEX64,
});

const Offer = v.object({
  id: URL_STRING,
  type: v.literal("Offer"),
  actor: URL_STRING,
  object: SummaryObject,
});

const Undo = v.object({
  id: URL_STRING,
  type: v.literal("Undo"),
  actor: URL_STRING,
  object: Offer,
});

const Answer = v.object({
  id: URL_STRING,
  type: v.picklist(["Accept", "Reject"]),
  actor: URL_STRING,
  object: v.object({
    id: URL_STRING,
    type: SummaryType,
    flattrHash: HEX64,
  }),
  flattrReason: v.optional(v.pipe(v.string(), v.maxLength(40))),
  flattrFinal: v.optional(v.boolean()),
  flattrWithdrawn: v.optional(v.boolean()),
  content: v.optional(v.pipe(v.string(), v.maxLength(2000))),
});

export type SettlementMessage =
  | { kind: "offer"; id: string; actor: string; summary: SummaryMessage }
  | { kind: "withdrawal"; id: string; actor: string; summary: SummaryMessage }
  | {
      kind: "answer";
      id: string;
      actor: string;
      summaryId: string;
      hash: string;
      answer: AnswerMessage;
    };

function summaryOf(o: v.InferOutput<typeof Offer>): SummaryMessage | string {
  const s = o.object;
  const total = parseAmount(s.flattrTotal, s.flattrCurrency);
  if (total === null)
    return `flattrTotal "${s.flattrTotal}" is not an amount in ${s.flattrCurrency}.`;
  return {
    id: s.id,
    actor: o.actor,
    to: "",
    fields: {
      period: s.flattrPeriod,
      currency: s.flattrCurrency,
      sequence: s.flattrSequence,
      previous: s.flattrPrevious,
      total,
      lineCount: s.flattrLineCount,
      flattrCount: s.flattrFlattrCount,
      linesHash: s.flattrLinesHash,
    },
    hash: s.flattrHash,
    linesUrl: s.flattrLines,
  };
}

/** Whether a JSON body looks like settlement traffic (then it is ours to read, not Fedify's). */
export function isSettlementMessage(json: Record<string, unknown>): boolean {
  const o = json.object;
  if (typeof o !== "object" || o === null) return false;
  const rec = o as Record<string, unknown>;
  if (hasSummaryType(rec.type)) return true;
  const inner = rec.object;
  return (
    json.type === "Undo" &&
    typeof inner === "object" &&
    inner !== null &&
    hasSummaryType((inner as Record<string, unknown>).type)
  );
}

/** Reads a settlement message; a string says what is wrong with it. */
export function readSettlementMessage(json: unknown): SettlementMessage | string {
  const type = (json as { type?: unknown } | null)?.type;
  if (type === "Offer") {
    const r = v.safeParse(Offer, json);
    if (!r.success) return `Malformed summary Offer: ${r.issues[0].message}`;
    const summary = summaryOf(r.output);
    return typeof summary === "string"
      ? summary
      : { kind: "offer", id: r.output.id, actor: r.output.actor, summary };
  }
  if (type === "Undo") {
    const r = v.safeParse(Undo, json);
    if (!r.success) return `Malformed withdrawal: ${r.issues[0].message}`;
    if (r.output.object.actor !== r.output.actor)
      return "The withdrawal is of another actor's Offer.";
    const summary = summaryOf(r.output.object);
    return typeof summary === "string"
      ? summary
      : { kind: "withdrawal", id: r.output.id, actor: r.output.actor, summary };
  }
  const r = v.safeParse(Answer, json);
  if (!r.success) return `Malformed answer: ${r.issues[0].message}`;
  const a = r.output;
  const answer: AnswerMessage =
    a.type === "Reject"
      ? {
          kind: "reject",
          reason: a.flattrReason ?? "total",
          final: a.flattrFinal ?? true,
          message: a.content ?? "",
        }
      : a.flattrWithdrawn
        ? { kind: "withdrawn" }
        : { kind: "accept" };
  return {
    kind: "answer",
    id: a.id,
    actor: a.actor,
    summaryId: a.object.id,
    hash: a.object.flattrHash,
    answer,
  };
}

// --- The lines collection's pages -----------------------------------------------------------

export interface LinesPage {
  summary: string;
  hash: string;
  page: number;
  lines: Record<string, unknown>[];
  next: string | null;
}

/*
 * A page's lines are checked by hand, not by a valibot schema: valibot's object machinery cost
 * 145-220 ms of this process's CPU for a 100,000-line summary (bench/README.md, "Fourth pass,
 * receiver side"). The rejections are valibot's `Line` schema's, field by field (the unit test
 * test/unit/lines-page-check.test.ts keeps that schema and checks both refuse the same lines).
 */
const MAX_URL = 2000;
const MAX_LIST = 100_000;

const isUrl = (x: unknown): x is string =>
  typeof x === "string" && x.length <= MAX_URL && URL.canParse(x);

/** What is wrong with one line as the sender wrote it, or null. */
function lineProblem(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null) return "a line is not an object";
  const l = raw as Record<string, unknown>;
  if (!isUrl(l.creator)) return "creator is not a URL";
  if (typeof l.amount !== "string" || l.amount.length > 30)
    return "amount is not a string of at most 30 characters";
  const f = l.flattrs;
  if (typeof f !== "number" || !Number.isInteger(f) || f < 1 || f > 2 ** 31 - 1)
    return "flattrs is not an integer from 1 to 2^31-1";
  if (l.likes !== undefined) {
    if (!Array.isArray(l.likes) || l.likes.length > MAX_LIST)
      return `likes is not a list of at most ${MAX_LIST}`;
    for (const id of l.likes) if (!isUrl(id)) return "a Like's id is not a URL";
  }
  if (l.claim !== undefined && !isUrl(l.claim)) return "claim is not a URL";
  return null;
}

/** Reads one page: its lines (or what is wrong) and the next page's URL. */
export function readLinesPage(
  json: unknown,
  currency: string,
): { lines: SummaryLine[]; next: string | null } | string {
  if (typeof json !== "object" || json === null) return "Malformed lines page: not an object";
  const p = json as Record<string, unknown>;
  if (!Array.isArray(p.lines) || p.lines.length > MAX_LIST)
    return `Malformed lines page: lines is not a list of at most ${MAX_LIST}`;
  if (p.next !== null && !isUrl(p.next))
    return "Malformed lines page: next is neither null nor a URL";
  const lines: SummaryLine[] = [];
  for (const raw of p.lines as unknown[]) {
    const problem = lineProblem(raw);
    if (problem !== null) return `Malformed line: ${problem}`;
    const l = raw as {
      creator: string;
      amount: string;
      flattrs: number;
      likes?: string[];
      claim?: string;
    };
    const amount = parseAmount(l.amount, currency);
    if (amount === null || amount === 0n) return `Line amount "${l.amount}" is not an amount.`;
    if ((l.likes === undefined) === (l.claim === undefined))
      return "A line names either its Likes or a claim.";
    const base = { creator: l.creator, amount, flattrs: l.flattrs };
    lines.push(
      l.claim !== undefined ? { ...base, claim: l.claim } : { ...base, likes: l.likes ?? [] },
    );
  }
  return { lines, next: p.next as string | null };
}
