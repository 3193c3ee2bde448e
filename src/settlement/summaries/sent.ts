import { getLogger } from "@logtape/logtape";
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import { type Db, queryRows } from "../../db/client.ts";
import { summariesOut } from "../../db/schema/index.ts";
import { DomainError, ok, type Result, refused } from "../../errors.ts";
import { clearingAccount, postEntry, walletAccount } from "../../ledger/index.ts";
import { parseTypedHost } from "../../peers/host.ts";
import { isPeriod } from "../../periods/period.ts";
import type { SummaryOut } from "./build.ts";
import { putBackCarried, settleCarried } from "./claim-lines.ts";
import { isRejectReason, isRetryable } from "./reasons.ts";

const logger = getLogger(["fediflattr", "settlement", "summaries"]);

/*
 * The summaries we sent and what became of them (issue 10 points 2 and 5). Delivery is driven by
 * the state: a summary not answered (`sent`) or a withdrawal not answered (`withdrawing`) is due
 * again with backoff until the peer answers. Answers move the state once: accepted (its shares
 * are settled, share-state.ts), rejected (final: refundable; retryable: sent again), conflict, withdrawn.
 */

export const SETTLEMENT_ERROR_CODES = [
  "unknown_summary",
  "not_withdrawable",
  "not_refundable",
  "invalid_transfer",
  "invalid_period",
  "invalid_host",
  "peer_not_admitted",
  "transfer_notice_conflict",
] as const;
export type SettlementErrorCode = (typeof SETTLEMENT_ERROR_CODES)[number];

export class SettlementError extends DomainError<SettlementErrorCode> {
  constructor(code: SettlementErrorCode, message: string) {
    super(code, message);
    this.name = "SettlementError";
  }
}

const BACKOFF_MAX_MS = 6 * 3600_000;
/** 30 s, 1 min, 2 min, … at most 6 h: a peer down for days is tried a few times an hour. */
export const backoffMs = (attempts: number) => Math.min(30_000 * 2 ** attempts, BACKOFF_MAX_MS);

/** Summaries (and withdrawals) whose next delivery is due. */
export async function dueSent(db: Db, now: Date, limit = 20): Promise<SummaryOut[]> {
  return db
    .select()
    .from(summariesOut)
    .where(
      sql`${summariesOut.state} in ('sent', 'withdrawing')
          and ${summariesOut.nextAttemptAt} <= ${now.toISOString()}::timestamptz`,
    )
    .orderBy(summariesOut.nextAttemptAt)
    .limit(limit);
}

/** A delivery was made (error null) or failed; either way the next is scheduled by backoff. */
export async function recordDelivery(
  db: Db,
  clock: Clock,
  id: number,
  error: string | null,
): Promise<void> {
  const now = clock.now();
  const [row] = await db.select().from(summariesOut).where(eq(summariesOut.id, id));
  if (!row) return;
  await db
    .update(summariesOut)
    .set({
      attempts: row.attempts + 1,
      nextAttemptAt: new Date(now.getTime() + backoffMs(row.attempts)),
      lastError: error?.slice(0, 500) ?? null,
    })
    .where(eq(summariesOut.id, id));
}

export type Answer =
  | { kind: "accept" }
  | { kind: "reject"; reason: string; final: boolean; message: string }
  | { kind: "withdrawal"; accepted: boolean; message: string };

/**
 * The peer's answer to our summary `hash`. Applied once: later answers to a decided summary
 * change nothing (an Accept after a confirmed withdrawal is logged, never believed: the peer
 * promised never to accept it).
 */
export async function recordAnswer(
  db: Db,
  clock: Clock,
  peerHost: string,
  hash: string,
  answer: Answer,
): Promise<SummaryOut | null> {
  const now = clock.now();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`summary-out:${peerHost}`}))`);
    const [s] = await tx
      .select()
      .from(summariesOut)
      .where(and(eq(summariesOut.peerHost, peerHost), eq(summariesOut.hash, hash)));
    if (!s) return null;
    const open = s.state === "sent" || s.state === "withdrawing";
    if (!open && !(s.state === "rejected" && answer.kind === "accept" && !s.final)) {
      logger.info("Answer to summary {id} ({state}) ignored: {kind}", {
        id: s.id,
        state: s.state,
        kind: answer.kind,
      });
      return s;
    }
    if (answer.kind === "accept") {
      await tx
        .update(summariesOut)
        .set({ state: "accepted", reason: null, final: null, message: null, answeredAt: now })
        .where(eq(summariesOut.id, s.id));
      // Its shares are settled: what we owe the peer is now the accepted total. For the shares
      // routed to the peer that is this row's state (share-state.ts, ADR 0029: marking 100,000
      // rows cost 2.7 s); the claimed shares it carried are marked, being few.
      await settleCarried(tx, s.id);
    } else if (answer.kind === "reject") {
      const reason = isRejectReason(answer.reason) ? answer.reason : "total";
      const final = answer.final && !isRetryable(reason);
      await tx
        .update(summariesOut)
        .set({
          // Retryable: still ours to deliver (with backoff); final: answered.
          state: reason === "conflict" ? "conflict" : final ? "rejected" : s.state,
          reason,
          final,
          message: answer.message.slice(0, 1000),
          answeredAt: final ? now : null,
        })
        .where(eq(summariesOut.id, s.id));
      // Never accepted now: its claimed shares wait for the next summary (a conflict keeps them,
      // for the admins to sort out: the peer accepted another summary for that period).
      if (final && reason !== "conflict") await putBackCarried(tx, s.id);
    } else if (s.state === "withdrawing") {
      await tx
        .update(summariesOut)
        .set(
          answer.accepted
            ? { state: "withdrawn", message: answer.message.slice(0, 1000), answeredAt: now }
            : { state: "sent", message: answer.message.slice(0, 1000) },
        )
        .where(eq(summariesOut.id, s.id));
      if (answer.accepted) await putBackCarried(tx, s.id);
    }
    const [after] = await tx.select().from(summariesOut).where(eq(summariesOut.id, s.id));
    return after ?? null;
  });
}

/** Sent summaries, newest first (the admin page and `fediflattr settlements`). */
export async function listSent(db: Db, peerHost?: string): Promise<SummaryOut[]> {
  return db
    .select()
    .from(summariesOut)
    .where(peerHost ? eq(summariesOut.peerHost, peerHost) : undefined)
    .orderBy(desc(summariesOut.period), summariesOut.peerHost)
    .limit(500);
}

export async function findSent(db: Db, peerHost: string, period: string) {
  const [s] = await db
    .select()
    .from(summariesOut)
    .where(and(eq(summariesOut.peerHost, peerHost), eq(summariesOut.period, period)));
  return s ?? null;
}

/**
 * `fediflattr settlements withdraw <peer> <period>`: asks the peer to withdraw a summary it has
 * not accepted. Only the peer's confirmation (or a final Reject) makes the shares refundable.
 */
export async function withdrawSummary(
  db: Db,
  clock: Clock,
  peerInput: string,
  periodInput: string,
): Promise<Result<SummaryOut, SettlementError>> {
  const host = parseTypedHost(peerInput);
  if (host === null)
    return refused(
      new SettlementError("invalid_host", `Not a server name: "${peerInput.slice(0, 100)}".`),
    );
  const period = periodInput.trim();
  if (!isPeriod(period))
    return refused(
      new SettlementError(
        "invalid_period",
        `Not a period: "${period.slice(0, 40)}" (expected YYYY-MM, e.g. 2027-03).`,
      ),
    );
  const peerHost = host;
  const s = await findSent(db, peerHost, period);
  if (!s)
    return refused(
      new SettlementError("unknown_summary", `No summary to ${peerHost} for ${period}.`),
    );
  if (s.state !== "sent" && s.state !== "withdrawing")
    return refused(
      new SettlementError(
        "not_withdrawable",
        `The summary to ${peerHost} for ${period} is ${s.state}; only an unanswered one can be withdrawn.`,
      ),
    );
  const [row] = await db
    .update(summariesOut)
    .set({ state: "withdrawing", nextAttemptAt: clock.now(), attempts: 0 })
    .where(and(eq(summariesOut.id, s.id), inArray(summariesOut.state, ["sent", "withdrawing"])))
    .returning();
  return row
    ? ok(row)
    : refused(new SettlementError("not_withdrawable", "The summary was answered meanwhile."));
}

export interface Refund {
  summary: SummaryOut;
  payers: number;
  amount: bigint;
}

/**
 * `fediflattr settlements refund`: returns the shares of every summary the peer rejected for good
 * or whose withdrawal it confirmed to the payers' wallets: one idempotent entry per payer
 * (clearing:<peer> → wallet:<payer>), the shares marked returned. The fee taken at the close is
 * not returned: it paid for the close that happened (docs/PROTOCOL.md).
 */
export async function refundSummaries(db: Db, clock: Clock): Promise<Refund[]> {
  const due = await db
    .select()
    .from(summariesOut)
    .where(
      and(
        isNull(summariesOut.refundedAt),
        sql`(${summariesOut.state} = 'withdrawn' or (${summariesOut.state} = 'rejected' and ${summariesOut.final}))`,
      ),
    );
  const done: Refund[] = [];
  for (const s of due) {
    const r = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`summary-out:${s.peerHost}`}))`);
      // `state = 'open'` is enough here (share-state.ts): the one summary of (peer, period) is
      // this one, rejected or withdrawn, so none of these shares is settled.
      const payers = await queryRows<{ payer_id: number; amount: string }>(
        tx,
        sql`select payer_id, sum(amount)::text as amount from remote_shares
            where period = ${s.period} and route = 'peer' and peer_host = ${s.peerHost}
              and state = 'open'
            group by payer_id order by payer_id`,
      );
      let total = 0n;
      for (const p of payers) {
        const amount = BigInt(p.amount);
        total += amount;
        await postEntry(tx, {
          idempotencyKey: `settlement-refund:${s.peerHost}:${s.period}:${p.payer_id}`,
          kind: "settlement_refund",
          period: s.period,
          metadata: { peer: s.peerHost, summary: s.hash, reason: s.reason ?? s.state },
          postings: [
            { account: clearingAccount(s.peerHost), currency: s.currency, amount: -amount },
            { account: walletAccount(p.payer_id), currency: s.currency, amount },
          ],
        });
      }
      await tx.execute(
        sql`update remote_shares set state = 'returned'
            where period = ${s.period} and route = 'peer' and peer_host = ${s.peerHost}
              and state = 'open'`,
      );
      await tx
        .update(summariesOut)
        .set({ refundedAt: clock.now() })
        .where(eq(summariesOut.id, s.id));
      return { summary: s, payers: payers.length, amount: total };
    });
    done.push(r);
  }
  return done;
}

export async function findSentById(db: Db, id: number): Promise<SummaryOut | null> {
  const [s] = await db.select().from(summariesOut).where(eq(summariesOut.id, id));
  return s ?? null;
}
