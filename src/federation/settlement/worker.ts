import type { Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { instanceActorUrl } from "../../config/urls.ts";
import type { Deps } from "../../deps.ts";
import { settlementAnswerUrl, settlementLinesUrl, settlementSummaryUrl } from "../../http/urls.ts";
import { admitted } from "../../peers/admission.ts";
import { hostOf } from "../../peers/host.ts";
import { findPeer } from "../../peers/peers.ts";
import { type Repeating, repeatEvery } from "../../schedule.ts";
import { buildDueSummaries, type SummaryOut } from "../../settlement/summaries/build.ts";
import type { SummaryLine } from "../../settlement/summaries/canonical.ts";
import {
  LinesUnavailable,
  MalformedLines,
  processReceived,
} from "../../settlement/summaries/process.ts";
import {
  answersDue,
  dueReceived,
  leaseReceived,
  recordAnswerSent,
  type SummaryIn,
} from "../../settlement/summaries/received.ts";
import { dueSent, recordDelivery } from "../../settlement/summaries/sent.ts";
import { type FederationData, federationContext } from "../federation.ts";
import { ensurePeerKnown } from "../peer-info.ts";
import {
  type AnswerMessage,
  buildAnswer,
  buildSummaryOffer,
  buildWithdrawal,
  readLinesPage,
} from "../vocab/settlement.ts";
import { likeFetcher } from "./like-fetcher.ts";
import { deliverTransferNotices } from "./transfer-notices.ts";
import { actorInbox, getSigned, postSigned, postToPeer } from "./transport.ts";

const logger = getLogger(["fediflattr", "federation", "settlement"]);

/*
 * The worker's settlement round (issue 10 points 2, 3, 5): build the summaries due after a close,
 * deliver every summary or withdrawal whose next attempt is due (state-driven, with backoff),
 * decide received summaries (fetching their lines with signed GETs), send owed answers and the
 * transfer notices due.
 * Every step is idempotent, so two workers or a crash halfway do no harm.
 */

type Ctx = ReturnType<typeof federationContext>;

async function deliver(ctx: Ctx, deps: Deps, s: SummaryOut): Promise<void> {
  const { config, clock } = deps;
  const db = deps.database.db;
  try {
    const peer = await ensurePeerKnown(deps, s.peerHost);
    if (!admitted(peer)) throw new Error(`${s.peerHost} is not admitted (suspended?)`);
    if (!peer.instanceActor)
      throw new Error(`${s.peerHost} names no instance actor in its NodeInfo`);
    const message = {
      id: settlementSummaryUrl(config, s.id),
      actor: instanceActorUrl(config),
      to: peer.instanceActor,
      fields: {
        period: s.period,
        currency: s.currency,
        sequence: s.sequence,
        previous: s.prevHash,
        total: s.total,
        lineCount: s.lineCount,
        flattrCount: s.flattrCount,
        linesHash: s.linesHash,
      },
      hash: s.hash,
      linesUrl: settlementLinesUrl(config, s.id),
    };
    const doc = s.state === "withdrawing" ? buildWithdrawal(message) : buildSummaryOffer(message);
    await postToPeer(ctx, peer, doc);
    await recordDelivery(db, clock, s.id, null);
  } catch (error) {
    logger.warning("Delivering summary {id} to {peer} failed: {error}", {
      id: s.id,
      peer: s.peerHost,
      error,
    });
    await recordDelivery(db, clock, s.id, String((error as Error)?.message ?? error));
  }
}

/** The sender's lines collection, page by page, checked to stay on the sender's origin. */
/** One page of a summary's lines, fetched with a signed GET and read. */
interface LinesPage {
  lines: SummaryLine[];
  next: string | null;
}

async function fetchPage(ctx: Ctx, s: SummaryIn, url: string): Promise<LinesPage> {
  if (hostOf(url) !== s.peerHost) throw new MalformedLines("A lines page is on another origin.");
  let response: Response;
  try {
    response = await getSigned(ctx, new URL(url));
  } catch (e) {
    throw new LinesUnavailable(`Fetching ${url} failed: ${(e as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new LinesUnavailable(`${url} answered ${response.status}.`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new MalformedLines(`${url} is not JSON.`);
  }
  const page = readLinesPage(json, s.currency);
  if (typeof page === "string") throw new MalformedLines(page);
  return page;
}

/** Pages asked for and not yet taken by the store (bench/README.md, "Fourth pass, receiver side"). */
const PAGES_AHEAD = 2;

/**
 * The lines, page by page. Each page's next is asked for as soon as the page arrives, up to
 * PAGES_AHEAD pages the store has not taken yet, so the sender serves them while this side
 * hashes and stores (a 100,000-line summary is twenty pages; with two page inserts in flight,
 * one page ahead left the store waiting for pages). A page's URL is only known from the page
 * before it, so the pages still come one after the other. A prefetched page nobody waits for any
 * more (the summary was refused on an earlier page) fails quietly.
 */
async function* fetchLines(ctx: Ctx, s: SummaryIn): AsyncGenerator<SummaryLine> {
  // Asked for and not taken, in order; `parked` is the next page's URL when the queue is full.
  const queue: Promise<LinesPage>[] = [];
  let parked: string | null = null;
  let asked = 0;
  const ask = (url: string): void => {
    const p =
      ++asked > 10_000
        ? Promise.reject(new MalformedLines("The lines collection does not end."))
        : fetchPage(ctx, s, url).then((page) => {
            // The store may be waiting on this very page (then it is out of the queue already).
            if (page.next !== null) {
              if (queue.length < PAGES_AHEAD) ask(page.next);
              else parked = page.next;
            }
            return page;
          });
    p.catch(() => {});
    queue.push(p);
  };
  ask(s.linesUrl);
  while (queue.length > 0) {
    const page = await queue.shift()!;
    if (parked !== null && queue.length < PAGES_AHEAD) {
      const url: string = parked;
      parked = null;
      ask(url);
    }
    yield* page.lines;
  }
}

function answerOf(s: SummaryIn): AnswerMessage | null {
  if (s.state === "accepted") return { kind: "accept" };
  if (s.state === "withdrawn") return { kind: "withdrawn" };
  if (s.state === "rejected" || s.state === "conflict")
    return {
      kind: "reject",
      reason: s.reason ?? "total",
      final: s.final ?? true,
      message: s.message ?? "",
    };
  return null;
}

async function answer(ctx: Ctx, deps: Deps, s: SummaryIn): Promise<void> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const a = answerOf(s);
  if (a === null) return recordAnswerSent(db, now, s.id, null);
  try {
    const summaryId = new URL(s.activityId.replace(/\/(offer|withdrawal)$/, ""));
    const doc = buildAnswer(
      settlementAnswerUrl(deps.config, s.id, s.answerAttempts + 1),
      instanceActorUrl(deps.config),
      s.actorUri,
      { id: summaryId.href, hash: s.hash },
      a,
    );
    // The answer goes to the actor that sent the summary: the peer's instance actor when it
    // was received (the inbox checked it), whose inbox is stored with the peer.
    const peer = await findPeer(db, s.peerHost);
    if (peer?.instanceActor === s.actorUri) await postToPeer(ctx, peer, doc);
    else await postSigned(ctx, await actorInbox(ctx, s.actorUri), doc);
    await recordAnswerSent(db, now, s.id, null);
  } catch (error) {
    logger.warning("Answering summary {id} of {peer} failed: {error}", {
      id: s.id,
      peer: s.peerHost,
      error,
    });
    await recordAnswerSent(db, now, s.id, String(error));
  }
}

export interface SettlementRound {
  built: number;
  delivered: number;
  decided: number;
  answered: number;
  /** Transfer notices tried (transfer-notices.ts). */
  notices: number;
}

/** One round of everything due now. */
export async function settlementRound(
  federation: Federation<FederationData>,
  deps: Deps,
): Promise<SettlementRound> {
  const { config, clock } = deps;
  const db = deps.database.db;
  const ctx = federationContext(federation, deps);
  const built = await buildDueSummaries(db, clock, config);
  const sending = await dueSent(db, clock.now());
  for (const s of sending) await deliver(ctx, deps, s);
  const deciding = await dueReceived(db, clock.now());
  const likes = likeFetcher(ctx);
  for (const s of deciding) {
    // Another round (here or in another worker) may be deciding it already.
    if (!(await leaseReceived(db, clock.now(), s.id))) continue;
    await processReceived(db, clock, config, s, () => fetchLines(ctx, s), likes);
  }
  const answering = await answersDue(db, clock.now());
  for (const s of answering) await answer(ctx, deps, s);
  const notices = await deliverTransferNotices(ctx, deps);
  return {
    built: built.length,
    delivered: sending.length,
    decided: deciding.length,
    answered: answering.length,
    notices,
  };
}

/** The worker's schedule: a round every `intervalMs` (default 30 s); rounds never overlap. */
export function startSettlement(
  federation: Federation<FederationData>,
  deps: Deps,
  options: { intervalMs?: number } = {},
): Repeating {
  const intervalMs = options.intervalMs ?? 30_000;
  return repeatEvery(
    intervalMs,
    () => settlementRound(federation, deps),
    (error) => logger.error("Settlement round failed: {error}", { error }),
  );
}
