import { getLogger } from "@logtape/logtape";
import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { clearingTransfers } from "../db/schema/index.ts";
import { ok, type Result, refused } from "../errors.ts";
import { formatAmount } from "../money/decimal.ts";
import { isAdmitted } from "../peers/admission.ts";
import { backoffMs, SettlementError } from "./summaries/sent.ts";

const logger = getLogger(["fediflattr", "settlement", "clearing"]);

/*
 * Transfer notices (issue 10 point 6; docs/PROTOCOL.md, "Transfer notices"). Every transfer an
 * admin records (`fediflattr clearing record`, sent or received) is told to the peer in a signed
 * notice, so that both admins see the same figures. Delivery is driven by the row, like a
 * summary's: due at once, then again with backoff until the peer's inbox takes it (it records
 * the notice before it answers 2xx). The receiver keeps a notice as `source = 'notice'`, by the
 * peer's reference, and never as money: only its own admin's `received` record counts for what
 * is payable. A notice and a record that disagree, or one without the other, are mismatches,
 * shown on both sides (each side has both its records and the other's notices). ADR 0013.
 */

export type TransferRow = typeof clearingTransfers.$inferSelect;

/** Our recorded transfers whose notice to the peer is due now. */
export async function dueTransferNotices(db: Db, now: Date, limit = 20): Promise<TransferRow[]> {
  return db
    .select()
    .from(clearingTransfers)
    .where(
      sql`${clearingTransfers.source} = 'ours'
          and ${clearingTransfers.noticeDueAt} <= ${now.toISOString()}::timestamptz`,
    )
    .orderBy(clearingTransfers.noticeDueAt, clearingTransfers.id)
    .limit(limit);
}

/** The peer took the notice (error null), or it failed: due again after a backoff. */
export async function recordNoticeDelivery(
  db: Db,
  clock: Clock,
  id: number,
  error: string | null,
): Promise<void> {
  const now = clock.now();
  if (error === null) {
    await db
      .update(clearingTransfers)
      .set({
        notifiedAt: now,
        noticeDueAt: null,
        noticeError: null,
        noticeAttempts: sql`${clearingTransfers.noticeAttempts} + 1`,
      })
      .where(eq(clearingTransfers.id, id));
    return;
  }
  const [row] = await db
    .select({ attempts: clearingTransfers.noticeAttempts })
    .from(clearingTransfers)
    .where(eq(clearingTransfers.id, id));
  await db
    .update(clearingTransfers)
    .set({
      noticeDueAt: new Date(now.getTime() + backoffMs(row?.attempts ?? 0)),
      noticeError: error.slice(0, 1000),
      noticeAttempts: sql`${clearingTransfers.noticeAttempts} + 1`,
    })
    .where(eq(clearingTransfers.id, id));
}

export interface TransferNotice {
  peerHost: string;
  /** As the peer says it: sent (it paid us) or received (it received our payment). */
  direction: "sent" | "received";
  amount: bigint;
  currency: string;
  reference: string;
  /** The activity as received, signed. */
  raw: string;
}

/**
 * Keeps a peer's notice of a transfer. Only from an admitted peer, in our currency; idempotent by
 * (peer, direction, reference): the same notice again changes nothing, the same reference with
 * another amount is refused (the peer records a reference once, so this is not its word).
 */
export async function recordTransferNotice(
  db: Db,
  clock: Clock,
  config: Config,
  n: TransferNotice,
): Promise<Result<{ replayed: boolean }, SettlementError>> {
  if (!(await isAdmitted(db, n.peerHost)))
    return refused(
      new SettlementError("peer_not_admitted", `${n.peerHost} is not an admitted peer here.`),
    );
  if (n.currency !== config.currency)
    return refused(
      new SettlementError("invalid_transfer", `This instance settles in ${config.currency}.`),
    );
  const reference = n.reference.trim();
  if (n.amount <= 0n || reference === "" || reference.length > 200)
    return refused(
      new SettlementError(
        "invalid_transfer",
        "A transfer notice has a positive amount and a reference of 1–200 characters.",
      ),
    );
  const [inserted] = await db
    .insert(clearingTransfers)
    .values({
      peerHost: n.peerHost,
      direction: n.direction,
      amount: n.amount,
      currency: n.currency,
      reference,
      source: "notice",
      recordedAt: clock.now(),
      raw: n.raw,
    })
    .onConflictDoNothing()
    .returning({ id: clearingTransfers.id });
  if (inserted) {
    logger.info("{peer} says it {direction} {amount} ({reference})", {
      peer: n.peerHost,
      direction: n.direction,
      amount: formatAmount(n.amount, n.currency),
      reference,
    });
    return ok({ replayed: false });
  }
  const [same] = await db
    .select({ amount: clearingTransfers.amount })
    .from(clearingTransfers)
    .where(
      and(
        eq(clearingTransfers.peerHost, n.peerHost),
        eq(clearingTransfers.source, "notice"),
        eq(clearingTransfers.direction, n.direction),
        eq(clearingTransfers.reference, reference),
      ),
    );
  if (same?.amount === n.amount) return ok({ replayed: true });
  return refused(
    new SettlementError(
      "transfer_notice_conflict",
      `A notice with reference "${reference}" was received with another amount.`,
    ),
  );
}

/** A transfer one side has and the other has not, or with another amount. */
export interface TransferMismatch {
  peerHost: string;
  /** From our side: sent (we paid the peer) or received (the peer paid us). */
  direction: "sent" | "received";
  reference: string;
  /** What we recorded (null: nothing). */
  ours: bigint | null;
  /** What the peer's notice says (null: no notice). */
  theirs: bigint | null;
  /** Says it in a line, for the page and the command line. */
  message: string;
}

function describe(m: Omit<TransferMismatch, "message">, currency: string): string {
  const f = (n: bigint) => `${formatAmount(n, currency)} ${currency}`;
  const ref = `"${m.reference}"`;
  if (m.direction === "received") {
    if (m.ours === null)
      return `${m.peerHost} says it sent ${f(m.theirs!)} (${ref}); not recorded as received here.`;
    if (m.theirs === null)
      return `Recorded as received here: ${f(m.ours)} (${ref}); ${m.peerHost} has not said it sent it.`;
    return `${ref}: ${m.peerHost} says it sent ${f(m.theirs)}; recorded here as received: ${f(m.ours)}.`;
  }
  if (m.ours === null)
    return `${m.peerHost} says it received ${f(m.theirs!)} (${ref}); not recorded as sent here.`;
  if (m.theirs === null)
    return `Sent ${f(m.ours)} (${ref}); ${m.peerHost} has not recorded receiving it.`;
  return `${ref}: sent ${f(m.ours)} here; ${m.peerHost} recorded receiving ${f(m.theirs)}.`;
}

/**
 * Every transfer, per peer and reference, on which our records and the peer's notices disagree:
 * its `sent` notices against our `received` records and its `received` notices against our
 * `sent` ones, matched by reference.
 */
export async function transferMismatches(db: Db, config: Config): Promise<TransferMismatch[]> {
  const rows = await queryRows<{
    peer_host: string;
    direction: "sent" | "received";
    reference: string;
    ours: string | null;
    theirs: string | null;
  }>(
    db,
    sql`with ours as (
          select peer_host, direction, reference, amount from clearing_transfers
          where source = 'ours'),
        theirs as (
          select peer_host, case direction when 'sent' then 'received' else 'sent' end as direction,
                 reference, amount from clearing_transfers
          where source = 'notice')
        select coalesce(o.peer_host, t.peer_host) as peer_host,
               coalesce(o.direction, t.direction) as direction,
               coalesce(o.reference, t.reference) as reference,
               o.amount::text as ours, t.amount::text as theirs
        from ours o full join theirs t
          on t.peer_host = o.peer_host and t.direction = o.direction and t.reference = o.reference
        where o.amount is distinct from t.amount
        order by 1, 2, 3`,
  );
  return rows.map((r) => {
    const m = {
      peerHost: r.peer_host,
      direction: r.direction,
      reference: r.reference,
      ours: r.ours === null ? null : BigInt(r.ours),
      theirs: r.theirs === null ? null : BigInt(r.theirs),
    };
    return { ...m, message: describe(m, config.currency) };
  });
}
