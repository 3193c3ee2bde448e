/** Why a peers-domain operation was refused. Stable strings: clients and tests match on them. */
export type PeerErrorCode = "invalid_host" | "own_server";

/** A refusal the caller caused; nothing was changed when one is thrown. */
export class PeerError extends Error {
  constructor(
    readonly code: PeerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PeerError";
  }
}
