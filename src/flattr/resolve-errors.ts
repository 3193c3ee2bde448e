import { DomainError } from "../errors.ts";

/** Why a handle or address could not be resolved to a thing. Stable strings. */
export const RESOLVE_ERROR_CODES = [
  /** Neither a handle nor an http(s) address (or too long, control characters…). */
  "invalid_uri",
  /** No such account or object: an unknown handle, a 404, nothing here at a local address. */
  "not_found",
  /** It was deleted on its server before we ever knew it (410 Gone, a Tombstone). */
  "remote_gone",
  /** It is something, but nothing a flattr can be for (a collection, an instance actor…). */
  "not_flattrable",
  /** The server is blocked on this instance. */
  "domain_blocked",
  /** Its server could not be reached or answered with an error: try again later. */
  "remote_unreachable",
] as const;
export type ResolveErrorCode = (typeof RESOLVE_ERROR_CODES)[number];

/** A refusal of the resolver; nothing was stored when one is returned. */
export class ResolveError extends DomainError<ResolveErrorCode> {
  constructor(code: ResolveErrorCode, message: string) {
    super(code, message);
    this.name = "ResolveError";
  }
}
