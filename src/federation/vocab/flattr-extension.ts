import jsonld from "jsonld";
import * as v from "valibot";
import type { FlattrExtension } from "./flattr-like.ts";
import { FLATTR_NS, FLATTR_TERMS } from "./namespace.ts";

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
