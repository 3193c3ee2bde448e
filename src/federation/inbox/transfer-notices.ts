import { getLogger } from "@logtape/logtape";
import type { Deps } from "../../deps.ts";
import { errorStatus } from "../../http/error-status.ts";
import { hostOf } from "../../peers/host.ts";
import { recordTransferNotice } from "../../settlement/transfer-notices.ts";
import { ensurePeerKnown } from "../peer-info.ts";
import { proofSigner } from "../settlement/proof.ts";
import { readTransferNotice } from "../vocab/transfer-notice.ts";

const logger = getLogger(["fediflattr", "federation", "inbox", "settlement"]);

/*
 * A peer's transfer notice in (docs/PROTOCOL.md, "Transfer notices"), after the inbox guard
 * verified the HTTP signature and that the key is the actor's on its origin. As for summaries:
 * only the peer's instance actor speaks, with a valid FEP-8b32 proof; then the notice is kept
 * (src/settlement/transfer-notices.ts) before the 202, so the sender may stop sending it.
 */

type VerifyTools = Parameters<typeof proofSigner>[1];

const refusal = (status: number, reason: string, error: string) =>
  Response.json({ error, reason }, { status });

export async function transferNoticeInbox(
  json: Record<string, unknown>,
  text: string,
  deps: Deps,
  tools: VerifyTools,
): Promise<Response> {
  const notice = readTransferNotice(json);
  if (typeof notice === "string") return refusal(400, "malformed", notice);
  const peerHost = hostOf(notice.actor);
  if (peerHost === null) return refusal(400, "malformed", "The actor is not an http(s) URL.");
  if (hostOf(notice.id) !== peerHost)
    return refusal(400, "malformed", "The transfer must be on the sender's origin.");
  const peer = await ensurePeerKnown(deps, peerHost);
  if (peer.instanceActor !== notice.actor)
    return refusal(401, "signature", "Transfer notices are accepted only from the instance actor.");
  const signer = await proofSigner(json, tools);
  if (signer?.href !== notice.actor)
    return refusal(401, "signature", "The notice has no valid proof by its actor's key.");
  const r = await recordTransferNotice(deps.database.db, deps.clock, deps.config, {
    peerHost,
    direction: notice.direction,
    amount: notice.amount,
    currency: notice.currency,
    reference: notice.reference,
    raw: text,
  });
  if (!r.ok) {
    logger.warning("Refused the transfer notice {id} of {peer}: {message}", {
      id: notice.id,
      peer: peerHost,
      message: r.error.message,
    });
    return refusal(errorStatus(r.error.code), r.error.code, r.error.message);
  }
  return new Response(null, { status: 202 });
}
