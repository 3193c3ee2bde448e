import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { clearingTransfers } from "../db/schema/index.ts";
import { ok, type Result, refused } from "../errors.ts";
import {
  clearingAccount,
  clearingAccountSql,
  DEPOSITS,
  IdempotencyConflictError,
  PAYOUTS,
  postEntry,
} from "../ledger/index.ts";
import { parseAmount } from "../money/decimal.ts";
import { parseTypedHost } from "../peers/host.ts";
import { SettlementError } from "./summaries/sent.ts";
import { type TransferMismatch, transferMismatches } from "./transfer-notices.ts";

/*
 * Clearing between admitted peers (issue 10 point 6): what we owe each peer (its accepted
 * summaries of our shares) and it owes us (our accepted summaries of its shares), the transfers
 * recorded each way, and the net, which is the clearing:<peer> ledger balance (positive: we owe
 * it). An admin records an out-of-band bank transfer once, idempotent by its reference, and the
 * peer is told in a signed notice; what the peer's notices say is shown next to what we
 * recorded, so a mismatch is visible on both sides (transfer-notices.ts).
 */

export interface ClearingPosition {
  peerHost: string;
  currency: string;
  /** Our shares the peer accepted (we owe it). */
  weOwe: bigint;
  /** Its shares we accepted (it owes us). */
  theyOwe: bigint;
  sent: bigint;
  received: bigint;
  /** clearing:<peer>: positive, we owe the peer; negative, it owes us. */
  net: bigint;
  /** What the peer's notices say it sent us (null: no notice). */
  noticedSent: bigint | null;
  /** What the peer's notices say it received from us (null: no notice). */
  noticedReceived: bigint | null;
  /** Transfers on which our records and the peer's notices disagree (transfer-notices.ts). */
  mismatches: TransferMismatch[];
}

export async function clearingPositions(db: Db, config: Config): Promise<ClearingPosition[]> {
  const rows = await queryRows<Record<string, string | null>>(
    db,
    sql`with hosts as (
          select host from peers where admitted_at is not null
          union select peer_host from settlement_summaries_out
          union select peer_host from settlement_summaries_in where state = 'accepted'
          union select peer_host from clearing_transfers)
        select h.host,
          (select coalesce(sum(total), 0) from settlement_summaries_out o
           where o.peer_host = h.host and o.state = 'accepted')::text as we_owe,
          (select coalesce(sum(total), 0) from settlement_summaries_in i
           where i.peer_host = h.host and i.state = 'accepted')::text as they_owe,
          (select coalesce(sum(amount), 0) from clearing_transfers t
           where t.peer_host = h.host and t.source = 'ours' and t.direction = 'sent')::text as sent,
          (select coalesce(sum(amount), 0) from clearing_transfers t
           where t.peer_host = h.host and t.source = 'ours' and t.direction = 'received')::text as received,
          (select sum(amount) from clearing_transfers t
           where t.peer_host = h.host and t.source = 'notice' and t.direction = 'sent')::text as noticed,
          (select sum(amount) from clearing_transfers t
           where t.peer_host = h.host and t.source = 'notice' and t.direction = 'received')::text as noticed_received,
          (select coalesce(sum(p.amount), 0) from ledger_postings p
           where p.account = ${clearingAccountSql(sql`h.host`)} and p.currency = ${config.currency})::text as net
        from hosts h order by h.host`,
  );
  const mismatches = await transferMismatches(db, config);
  return rows.map((r) => ({
    peerHost: r.host!,
    currency: config.currency,
    weOwe: BigInt(r.we_owe!),
    theyOwe: BigInt(r.they_owe!),
    sent: BigInt(r.sent!),
    received: BigInt(r.received!),
    net: BigInt(r.net!),
    noticedSent: r.noticed === null ? null : BigInt(r.noticed!),
    noticedReceived: r.noticed_received === null ? null : BigInt(r.noticed_received!),
    mismatches: mismatches.filter((m) => m.peerHost === r.host),
  }));
}

export interface TransferInput {
  peer: string;
  amount: string;
  reference: string;
  direction: "sent" | "received";
}

/**
 * `fediflattr clearing record`: an out-of-band bank transfer to (sent) or from (received) a peer.
 * One ledger entry, keyed by peer, direction and reference: recording it again changes nothing;
 * the same reference with another amount is refused.
 */
export async function recordTransfer(
  db: Db,
  clock: Clock,
  config: Config,
  input: TransferInput,
): Promise<Result<{ replayed: boolean }, SettlementError>> {
  const host = parseTypedHost(input.peer);
  const amount = parseAmount(input.amount, config.currency);
  const reference = input.reference.trim();
  if (host === null)
    return refused(new SettlementError("invalid_transfer", `Not a server name: "${input.peer}".`));
  if (amount === null || amount === 0n)
    return refused(
      new SettlementError(
        "invalid_transfer",
        `The amount must be a positive amount in ${config.currency}, such as "120.00".`,
      ),
    );
  if (reference === "" || reference.length > 200)
    return refused(
      new SettlementError("invalid_transfer", "Give the bank's reference (1–200 characters)."),
    );
  const sign = input.direction === "sent" ? -1n : 1n;
  try {
    return await db.transaction(async (tx) => {
      const r = await postEntry(tx, {
        idempotencyKey: `clearing:${host}:${input.direction}:${reference}`,
        kind: "clearing_transfer",
        metadata: { peer: host, direction: input.direction, reference },
        postings: [
          { account: clearingAccount(host), currency: config.currency, amount: sign * amount },
          {
            account: input.direction === "sent" ? PAYOUTS : DEPOSITS,
            currency: config.currency,
            amount: -sign * amount,
          },
        ],
      });
      await tx
        .insert(clearingTransfers)
        .values({
          peerHost: host,
          direction: input.direction,
          amount,
          currency: config.currency,
          reference,
          source: "ours",
          recordedAt: clock.now(),
          // The peer hears of it in a signed notice (transfer-notices.ts), from now on.
          noticeDueAt: clock.now(),
        })
        .onConflictDoNothing();
      return ok({ replayed: r.replayed });
    });
  } catch (e) {
    if (e instanceof IdempotencyConflictError)
      return refused(
        new SettlementError(
          "invalid_transfer",
          `A transfer with reference "${reference}" was recorded with another amount.`,
        ),
      );
    throw e;
  }
}
