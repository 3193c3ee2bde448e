/*
 * The flattr protocol versions this instance speaks (NodeInfo `metadata.flattr.protocolVersion`,
 * docs/PROTOCOL.md). A server is a peer only when it publishes one of these and our currency.
 * Bump on incompatible wire changes and keep the old version here while peers still use it.
 */
export const FLATTR_PROTOCOL_VERSION = "1";
export const SPOKEN_PROTOCOL_VERSIONS: readonly string[] = [FLATTR_PROTOCOL_VERSION];

/**
 * The level of Mastodon's client API whose shapes src/mastodon/ answers: apps read it from the
 * instance's `version` and NodeInfo's `metadata.upstream` (megalodon's detector) to pick
 * features. Raise it only with the endpoints that level brings.
 */
export const MASTODON_API_VERSION = "4.3.0";
