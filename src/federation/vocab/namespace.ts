/*
 * Our extension's vocabulary (docs/PROTOCOL.md): terms in the namespace below, always defined in
 * an inline `@context` object, never fetched. The compact names carry a `flattr` prefix so that
 * no other context in the same document (schema.org's `currency`, say) can capture them.
 */

/** The namespace IRI: a name, not a document. */
export const FLATTR_NS = "https://w3id.org/fediflattr/ns#";

/** Full IRIs of the terms, as receivers read them after JSON-LD expansion. */
export const FLATTR_TERMS = {
  period: `${FLATTR_NS}period`,
  payerInstance: `${FLATTR_NS}payerInstance`,
  currency: `${FLATTR_NS}currency`,
  protocolVersion: `${FLATTR_NS}protocolVersion`,
} as const;

/** The inline context object senders append to an activity's `@context`. */
export const FLATTR_CONTEXT = {
  flattr: FLATTR_NS,
  flattrPeriod: "flattr:period",
  flattrPayerInstance: { "@id": "flattr:payerInstance", "@type": "@id" },
  flattrCurrency: "flattr:currency",
  flattrProtocolVersion: "flattr:protocolVersion",
} as const;
