import { DomainError } from "../errors.ts";

/** Why a peers-domain operation was refused. Stable strings: clients and tests match on them. */
export const PEER_ERROR_CODES = [
  "invalid_host",
  "own_server",
  "domain_blocked",
  "invalid_credit_limit",
  "unknown_peer",
] as const;
export type PeerErrorCode = (typeof PEER_ERROR_CODES)[number];

/** A refusal the caller caused; nothing was changed when one is thrown. */
export class PeerError extends DomainError<PeerErrorCode> {
  constructor(code: PeerErrorCode, message: string) {
    super(code, message);
    this.name = "PeerError";
  }
}
