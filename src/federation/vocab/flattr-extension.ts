import jsonld from "jsonld";
import * as v from "valibot";
import type { FlattrExtension } from "./flattr-like.ts";
import { FLATTR_CONTEXT, FLATTR_NS, FLATTR_TERMS } from "./namespace.ts";

/*
 * Reading the payment extension of a received `Like`. Fedify hands listeners a stock `Like`
 * whose `toJsonLd()` (no format) is the JSON as received; a signed activity may have been
 * compacted by its sender into other term names, or our terms may arrive as full IRIs, so the
 * JSON is expanded and the terms are read by IRI, then checked against a schema.
 */

/** The extension as the schema accepts it (payerInstance still a string). */
const extensionSchema = v.strictObject({
  period: v.pipe(
    v.string("the period must be a string"),
    v.regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, "the period must be YYYY-MM (a month 01 to 12)"),
  ),
  payerInstance: v.pipe(
    v.string("the payer instance must be a string"),
    v.url("the payer instance must be an http(s) URL"),
    v.regex(/^https?:\/\//i, "the payer instance must be an http(s) URL"),
  ),
  currency: v.pipe(
    v.string("the currency must be a string"),
    v.regex(/^[A-Z]{3}$/, "the currency must be an ISO 4217 code"),
  ),
  protocolVersion: v.pipe(
    v.string("the protocol version must be a string"),
    v.minLength(1, "the protocol version must not be empty"),
    v.maxLength(20, "the protocol version is longer than 20 characters"),
  ),
});

export type ExtensionReading =
  /** No term of our namespace: a plain `Like` (a favourite). */
  | { kind: "none" }
  | { kind: "ok"; extension: FlattrExtension }
  /** Some of our terms, but not a valid extension: refused, `reason` says why. */
  | { kind: "invalid"; reason: string };

type Loader = (url: string) => Promise<unknown>;

/** The single value of a term on an expanded node: a literal's @value or a node's @id. */
function single(node: Record<string, unknown>, iri: string): unknown {
  const values = node[iri];
  if (values === undefined) return undefined;
  if (!Array.isArray(values) || values.length !== 1)
    return { invalid: "must have exactly one value" };
  const v = values[0] as Record<string, unknown>;
  if (v !== null && typeof v === "object") {
    if ("@value" in v) return v["@value"];
    if ("@id" in v) return v["@id"];
  }
  return { invalid: "must be a string" };
}

/**
 * The extension of a received activity's JSON (as received), by IRI. `contextLoader` loads the
 * contexts the JSON names (Fedify's, with the common ones preloaded); our own inline context is
 * never fetched.
 */
export async function readFlattrExtension(
  json: unknown,
  contextLoader: Loader,
): Promise<ExtensionReading> {
  return readAsSent(json) ?? (await readExpanded(json, contextLoader));
}

/** The extension read by IRI after JSON-LD expansion: any shape a sender may choose. */
export async function readExpanded(
  json: unknown,
  contextLoader: Loader,
): Promise<ExtensionReading> {
  let expanded: unknown;
  try {
    expanded = await jsonld.expand(json as jsonld.JsonLdDocument, {
      documentLoader: contextLoader as unknown as jsonld.Options.DocLoader["documentLoader"],
    });
  } catch (error) {
    return { kind: "invalid", reason: `not valid JSON-LD (${String(error).slice(0, 200)})` };
  }
  const node = Array.isArray(expanded) ? (expanded[0] as Record<string, unknown>) : undefined;
  if (!node || typeof node !== "object") return { kind: "invalid", reason: "no activity node" };
  const ours = Object.keys(node).filter((k) => k.startsWith(FLATTR_NS));
  if (ours.length === 0) return { kind: "none" };
  const known = new Set<string>(Object.values(FLATTR_TERMS));
  const unknown = ours.filter((k) => !known.has(k));
  if (unknown.length > 0)
    return { kind: "invalid", reason: `unknown terms ${unknown.slice(0, 5).join(", ")}` };

  const raw: Record<string, unknown> = {};
  for (const [name, iri] of Object.entries(FLATTR_TERMS)) {
    const value = single(node, iri);
    if (value !== null && typeof value === "object" && "invalid" in value)
      return { kind: "invalid", reason: `${name} ${(value as { invalid: string }).invalid}` };
    if (value !== undefined) raw[name] = value;
  }
  return checked(raw);
}

/** The terms read, checked against the schema. */
function checked(raw: Record<string, unknown>): ExtensionReading {
  const parsed = v.safeParse(extensionSchema, raw);
  if (!parsed.success) {
    const reason = parsed.issues
      .map((i) => `${i.path?.map((p) => String(p.key)).join(".") || "extension"}: ${i.message}`)
      .join("; ");
    return { kind: "invalid", reason };
  }
  return {
    kind: "ok",
    extension: { ...parsed.output, payerInstance: new URL(parsed.output.payerInstance) },
  };
}

/*
 * The shape every sender of the protocol writes (docs/PROTOCOL.md, flattr-like.ts): well-known
 * contexts, then our inline context, unchanged, last; our terms by their compact names with plain
 * string values. Under exactly that context those names can only mean our IRIs (the last context
 * defines them, and none of the well-known ones maps anything into our namespace or sets @vocab to
 * it), so they are read as they are, without expanding the document: JSON-LD expansion was the
 * largest single cost of an inbound flattr after the signature (bench/README.md, inbound flattrs).
 * Anything else — another context, our terms as compact IRIs or full IRIs, keywords, values that
 * are not plain strings — is left to the expansion above. A property test holds the two readings
 * equal (test/unit/flattr-like.test.ts).
 */
const WELL_KNOWN_CONTEXTS: ReadonlySet<string> = new Set([
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
  "https://w3id.org/security/data-integrity/v1",
  "https://w3id.org/security/multikey/v1",
  "https://w3id.org/identity/v1",
  "https://gotosocial.org/ns",
]);

/**
 * An inline context before ours that cannot touch our terms: no keywords (no @vocab, @base,
 * @import), nothing named or pointing at `flattr…` (Fedify adds `{toot, Emoji}` this way).
 */
function harmlessInline(c: unknown): boolean {
  if (typeof c !== "object" || c === null || Array.isArray(c)) return false;
  for (const [k, val] of Object.entries(c)) {
    if (k.startsWith("@") || k.toLowerCase().includes("flattr")) return false;
    if (typeof val !== "string" || val.toLowerCase().includes("flattr")) return false;
  }
  return true;
}

const COMPACT_TERMS: Readonly<Record<string, keyof typeof FLATTR_TERMS>> = {
  flattrPeriod: "period",
  flattrPayerInstance: "payerInstance",
  flattrCurrency: "currency",
  flattrProtocolVersion: "protocolVersion",
};

const OUR_CONTEXT = JSON.stringify(FLATTR_CONTEXT);

/** The extension read without expansion, or null when the document is not in the usual shape. */
export function readAsSent(json: unknown): ExtensionReading | null {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const doc = json as Record<string, unknown>;
  const context = doc["@context"];
  if (!Array.isArray(context) || context.length < 2) return null;
  const last = context[context.length - 1];
  if (typeof last !== "object" || last === null || JSON.stringify(last) !== OUR_CONTEXT)
    return null;
  for (const c of context.slice(0, -1))
    if (typeof c === "string" ? !WELL_KNOWN_CONTEXTS.has(c) : !harmlessInline(c)) return null;
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "@context") continue;
    if (key.startsWith("@") || key.startsWith("flattr:") || key.startsWith(FLATTR_NS)) return null;
    const term = COMPACT_TERMS[key];
    if (term === undefined) continue;
    if (typeof value !== "string" || value === "") return null;
    raw[term] = value;
  }
  if (Object.keys(raw).length === 0) return { kind: "none" };
  return checked(raw);
}
