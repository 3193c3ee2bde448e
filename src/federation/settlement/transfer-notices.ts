import type { Context } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { instanceActorUrl } from "../../config/urls.ts";
import type { Deps } from "../../deps.ts";
import { settlementTransferUrl } from "../../http/urls.ts";
import {
  dueTransferNotices,
  recordNoticeDelivery,
  type TransferRow,
} from "../../settlement/transfer-notices.ts";
import type { FederationData } from "../federation.ts";
import { ensurePeerKnown } from "../peer-info.ts";
import { buildTransferNotice } from "../vocab/transfer-notice.ts";
import { postToPeer } from "./transport.ts";

const logger = getLogger(["fediflattr", "federation", "settlement"]);

/*
 * The worker sends each transfer notice that is due (src/settlement/transfer-notices.ts) from our
 * instance actor to the peer's, signed like the summaries; a failure is tried again with backoff.
 */

async function deliver(ctx: Context<FederationData>, deps: Deps, t: TransferRow): Promise<void> {
  const { config, clock } = deps;
  const db = deps.database.db;
  try {
    const peer = await ensurePeerKnown(deps, t.peerHost);
    if (!peer.instanceActor)
      throw new Error(`${t.peerHost} names no instance actor in its NodeInfo`);
    const doc = buildTransferNotice({
      id: settlementTransferUrl(config, t.id),
      actor: instanceActorUrl(config),
      to: peer.instanceActor,
      direction: t.direction as "sent" | "received",
      amount: t.amount,
      currency: t.currency,
      reference: t.reference,
      published: t.recordedAt,
    });
    await postToPeer(ctx, peer, doc);
    await recordNoticeDelivery(db, clock, t.id, null);
  } catch (error) {
    logger.warning("Notice of transfer {id} to {peer} failed: {error}", {
      id: t.id,
      peer: t.peerHost,
      error,
    });
    await recordNoticeDelivery(db, clock, t.id, String((error as Error)?.message ?? error));
  }
}

/** Sends the transfer notices due now; how many were tried. */
export async function deliverTransferNotices(
  ctx: Context<FederationData>,
  deps: Deps,
): Promise<number> {
  const due = await dueTransferNotices(deps.database.db, deps.clock.now());
  for (const t of due) await deliver(ctx, deps, t);
  return due.length;
}
