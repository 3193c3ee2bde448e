import { type DocumentLoader, type KeyCache, verifyRequestDetailed } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { instanceActorUrl } from "../../config/urls.ts";
import type { Deps } from "../../deps.ts";
import { settlementSummaryUrl } from "../../http/urls.ts";
import { hostOf } from "../../peers/host.ts";
import { findPeer } from "../../peers/peers.ts";
import { summaryPageJson } from "../../settlement/summaries/build.ts";
import { LINES_PAGE_SIZE } from "../../settlement/summaries/reasons.ts";
import { recordReceived, recordWithdrawal } from "../../settlement/summaries/received.ts";
import { findSentById, recordAnswer } from "../../settlement/summaries/sent.ts";
import { verifiedBody } from "../inbox-guard.ts";
import { ensurePeerKnown } from "../peer-info.ts";
import { proofSigner } from "../settlement/proof.ts";
import { isSettlementMessage, readSettlementMessage } from "../vocab/settlement.ts";
import { isTransferNotice } from "../vocab/transfer-notice.ts";
import { transferNoticeInbox } from "./transfer-notices.ts";

const logger = getLogger(["fediflattr", "federation", "inbox", "settlement"]);

/*
 * Settlement traffic in (docs/PROTOCOL.md, "Settlement"): summaries, withdrawals and answers,
 * POSTed to the shared inbox. The inbox guard has verified the HTTP signature and that the key
 * is the activity's actor's, on its origin. Here, before anything is kept: the actor is the
 * peer's instance actor (as its NodeInfo names it; a user's key is refused), and the body's
 * FEP-8b32 proof verifies with that actor's key. A summary is then kept with its raw body and
 * decided by the worker; an answer moves our summary's state. Handled here, not by Fedify's
 * queue: the raw body is kept exactly as signed.
 */

export interface VerifyTools {
  documentLoader: DocumentLoader;
  contextLoader: DocumentLoader;
  keyCache: KeyCache;
}

const refusal = (status: 400 | 401, reason: string, error: string) =>
  Response.json({ error, reason }, { status });

/** Handles an inbox POST the guard passed if it is settlement traffic; null otherwise. */
export async function settlementInbox(
  request: Request,
  deps: Deps,
  tools: VerifyTools,
): Promise<Response | null> {
  const body = verifiedBody(request);
  if (body && isTransferNotice(body.json))
    return transferNoticeInbox(body.json, body.text, deps, tools);
  if (!body || !isSettlementMessage(body.json)) return null;
  const msg = readSettlementMessage(body.json);
  if (typeof msg === "string") return refusal(400, "malformed", msg);
  const peerHost = hostOf(msg.actor);
  if (peerHost === null) return refusal(400, "malformed", "The actor is not an http(s) URL.");
  const peer = await ensurePeerKnown(deps, peerHost);
  if (peer.instanceActor !== msg.actor) {
    logger.warning("Refused settlement message {id}: {actor} is not {peer}'s instance actor", {
      id: msg.id,
      actor: msg.actor,
      peer: peerHost,
    });
    return refusal(
      401,
      "signature",
      "Settlement messages are accepted only from the instance actor.",
    );
  }
  const signer = await proofSigner(body.json, tools);
  if (signer?.href !== msg.actor) {
    logger.warning("Refused settlement message {id}: no valid proof by {actor}", {
      id: msg.id,
      actor: msg.actor,
    });
    return refusal(401, "signature", "The message has no valid proof by its actor's key.");
  }
  const { clock } = deps;
  const db = deps.database.db;
  if (msg.kind === "answer") {
    const ours = settlementSummaryUrl(deps.config, 1).replace(/1$/, "");
    if (!msg.summaryId.startsWith(ours))
      return refusal(400, "malformed", "Not one of our summaries.");
    const answered = await recordAnswer(
      db,
      clock,
      peerHost,
      msg.hash,
      msg.answer.kind === "withdrawn"
        ? { kind: "withdrawal", accepted: true, message: "Withdrawal confirmed." }
        : msg.answer,
    );
    logger.info("{peer} answered summary {hash}: {kind} → {state}", {
      peer: peerHost,
      hash: msg.hash,
      kind: msg.answer.kind,
      state: answered?.state ?? "unknown summary",
    });
    return new Response(null, { status: 202 });
  }
  if (hostOf(msg.summary.id) !== peerHost || hostOf(msg.summary.linesUrl) !== peerHost)
    return refusal(400, "malformed", "The summary and its lines must be on the sender's origin.");
  const received = {
    peerHost,
    activityId: msg.id,
    actorUri: msg.actor,
    fields: msg.summary.fields,
    hash: msg.summary.hash,
    linesUrl: msg.summary.linesUrl,
    raw: body.text,
  };
  if (msg.kind === "withdrawal") await recordWithdrawal(db, clock, received);
  else await recordReceived(db, clock, received);
  return new Response(null, { status: 202 });
}

/**
 * GET /settlement/summaries/{id}/lines?page=N: a summary's lines as plain JSON pages, only to the
 * peer it was sent to, with a GET signed by that peer's instance actor.
 */
export async function settlementLines(
  request: Request,
  deps: Deps,
  tools: VerifyTools,
  summaryId: number,
): Promise<Response> {
  const summary = await findSentById(deps.database.db, summaryId);
  if (!summary) return Response.json({ error: "No such summary." }, { status: 404 });
  let verification: Awaited<ReturnType<typeof verifyRequestDetailed>>;
  try {
    verification = await verifyRequestDetailed(request, tools);
  } catch {
    return Response.json({ error: "The signature could not be checked." }, { status: 401 });
  }
  if (!verification.verified)
    return Response.json({ error: "A signed GET is required." }, { status: 401 });
  const peer = await findPeer(deps.database.db, summary.peerHost);
  const owner = verification.key.ownerId?.href;
  if (!peer?.instanceActor || owner !== peer.instanceActor)
    return Response.json(
      { error: "Only the instance actor of the peer this summary is for may read it." },
      { status: 403 },
    );
  const url = new URL(request.url);
  const page = Number(url.searchParams.get("page") ?? "0");
  if (!Number.isInteger(page) || page < 0 || page > 1_000_000)
    return Response.json({ error: "page must be a non-negative integer." }, { status: 400 });
  // The lines array comes as JSON text from the database, stored when the summary was built
  // (summaryPageJson): 5,000 lines a page.
  const lines = await summaryPageJson(deps.database.db, summary.id, page, summary.currency);
  const more = (page + 1) * LINES_PAGE_SIZE < summary.lineCount;
  const self = new URL(url.pathname, deps.config.origin);
  const head = {
    summary: settlementSummaryUrl(deps.config, summary.id),
    attributedTo: instanceActorUrl(deps.config),
    hash: summary.hash,
    page,
  };
  const next = more ? `${self.href}?page=${page + 1}` : null;
  return new Response(
    `${JSON.stringify(head).slice(0, -1)},"lines":${lines},"next":${JSON.stringify(next)}}`,
    { headers: { "content-type": "application/json" } },
  );
}
