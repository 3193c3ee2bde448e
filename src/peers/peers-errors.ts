import { DomainError } from "../errors.ts";

/** Why an administrator's peer operation was refused. Stable strings. */
export const PEER_ADMIN_ERROR_CODES = ["invalid_host", "own_server", "domain_blocked"] as const;
export type PeerAdminErrorCode = (typeof PEER_ADMIN_ERROR_CODES)[number];

/** A refusal of the peers admin (a host that is not one, our own, a blocked one). */
export class PeerAdminError extends DomainError<PeerAdminErrorCode> {
  constructor(code: PeerAdminErrorCode, message: string) {
    super(code, message);
    this.name = "PeerAdminError";
  }
}
