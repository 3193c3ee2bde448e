import type { Config } from "../../config/config.ts";
import type { Peer } from "../../peers/peers.ts";
import { periodLabel } from "../../periods/period.ts";
import { pledgeReturnsAt } from "../pledge-hold.ts";

/*
 * A summary from a peer that is not admitted (issue 10 points 1 and 3; docs/PROTOCOL.md,
 * "Answers"). It is kept and shown to the admin, and waits: an admin may still admit the peer,
 * and then it is decided like any other. It is refused for good (`not_admitted`, final) when
 * waiting can no longer end in a credit here:
 * - the admin has suspended the peer (a decision about it, not mere ignorance of it); or
 * - the hold of its period has ended (pledgeReturnsAt, PLEDGE_HOLD_MONTHS after the period):
 *   by then the sender returns to its payers the shares of creators on servers it could not
 *   settle with, so an answer that lets it refund is what both sides need.
 * A final Reject lets the sender refund (ADR 0013). Waiting summaries are looked at hourly, so a
 * suspension or an admission takes effect on them within the hour.
 */

export type NotAdmitted = { final: false; message: string } | { final: true; message: string };

export function notAdmittedAnswer(
  peer: Pick<Peer, "host" | "suspendedAt"> | null,
  peerHost: string,
  period: string,
  config: Config,
  now: Date,
): NotAdmitted {
  if (peer?.suspendedAt)
    return {
      final: true,
      message: `${peerHost} is suspended here: its summaries are not applied.`,
    };
  const holdEnds = pledgeReturnsAt(period, config);
  if (now.getTime() >= holdEnds.getTime())
    return {
      final: true,
      message: `${peerHost} was not admitted here by the end of the hold of ${periodLabel(period)} (${holdEnds.toISOString().slice(0, 10)}).`,
    };
  return {
    final: false,
    message: `${peerHost} is not an admitted peer: kept, answered once it is admitted (or refused on ${holdEnds.toISOString().slice(0, 10)}, when the hold ends).`,
  };
}
