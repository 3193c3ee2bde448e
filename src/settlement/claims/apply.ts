import { sql } from "drizzle-orm";
import type { Config } from "../../config/config.ts";
import { type Db, queryRows } from "../../db/client.ts";
import { clearingAccount, earningsAccount, PLEDGES, postEntry } from "../../ledger/index.ts";

/*
 * A won claim takes the claimed account's held shares: state open → claimed (with the claim),
 * and the money out of pledges, in one transaction: to earnings:<user> for a claim made here, or
 * to clearing:<host> for a claim made through another Fediflattr server (we then owe that
 * server; the shares travel in our next settlement summary to it as claimed-pledge lines).
 *
 * Racing the end of the hold (pledge-returns.ts) is impossible: both lock the shares in the same
 * order and switch them with a conditional UPDATE (… where state = 'open'), so each share is
 * switched, and its money moved, by exactly one of them. Only closed periods are taken: a period
 * being closed gets the rest of its shares later (applyWonClaims, the worker's sweep).
 */

export interface ClaimRef {
  id: number;
  remoteActorId: bigint;
  /** The claimant here (a local claim). */
  userId: number | null;
  /** The server the claim was made on (a claim through a peer). */
  claimingHost: string | null;
}

/** The idempotency key of a claim's entry for one period. */
export const pledgeClaimKey = (claimId: number, period: string) =>
  `pledge-claim:${claimId}:${period}`;

/** Serialises every decision about one claimed account (won or rival, and moving its shares). */
export async function lockClaimedAccount(tx: Db, remoteActorId: bigint): Promise<void> {
  await tx.execute(sql`select 1 from remote_actors where id = ${remoteActorId}::int8 for update`);
}

/** Moves the account's open held shares of closed periods to the claimant. Inside a transaction. */
export async function applyClaim(
  tx: Db,
  config: Config,
  claim: ClaimRef,
): Promise<{ shares: number; amount: bigint }> {
  const target =
    claim.claimingHost !== null
      ? clearingAccount(claim.claimingHost)
      : earningsAccount(claim.userId as number);
  const held = sql`s.remote_actor_id = ${claim.remoteActorId}::int8 and s.route = 'unclaimed'
    and s.state = 'open' and s.currency = ${config.currency}::text
    and exists (select 1 from closed_periods c where c.period = s.period and c.closed_at is not null)`;
  await tx.execute(
    sql`select 1 from remote_shares s where ${held}
        order by s.period, s.remote_actor_id, s.payer_id for update`,
  );
  const rows = await queryRows<{ period: string; amount: string; n: string }>(
    tx,
    sql`with taken as (
          update remote_shares s set state = 'claimed', claim_id = ${claim.id}::int8,
                                     claimed_by_host = ${claim.claimingHost}::text
          where ${held}
          returning s.period, s.amount)
        select period, sum(amount)::text as amount, count(*)::text as n
        from taken group by period order by period`,
  );
  let shares = 0;
  let amount = 0n;
  for (const r of rows) {
    const sum = BigInt(r.amount);
    await postEntry(tx, {
      idempotencyKey: pledgeClaimKey(claim.id, r.period),
      kind: "pledge_claim",
      period: r.period,
      metadata: { claim: claim.id, shares: Number(r.n) },
      postings: [
        { account: PLEDGES, currency: config.currency, amount: -sum },
        { account: target, currency: config.currency, amount: sum },
      ],
    });
    shares += Number(r.n);
    amount += sum;
  }
  return { shares, amount };
}

/**
 * The worker's sweep: won claims take held shares that arrived after they were won (a later
 * month's close, a period that was being closed). Idempotent.
 */
export async function applyWonClaims(
  db: Db,
  config: Config,
): Promise<{ shares: number; amount: bigint }> {
  const claims = await queryRows<{
    id: string;
    remote_actor_id: string;
    user_id: string | null;
    claiming_host: string | null;
  }>(
    db,
    sql`select c.id::text, c.remote_actor_id::text, c.user_id::text, c.claiming_host
        from pledge_claims c
        where c.state = 'won' and exists (
          select 1 from remote_shares s join closed_periods p on p.period = s.period
          where s.remote_actor_id = c.remote_actor_id and s.route = 'unclaimed'
            and s.state = 'open' and p.closed_at is not null)
        order by c.id`,
  );
  let shares = 0;
  let amount = 0n;
  for (const c of claims) {
    const ref: ClaimRef = {
      id: Number(c.id),
      remoteActorId: BigInt(c.remote_actor_id),
      userId: c.user_id === null ? null : Number(c.user_id),
      claimingHost: c.claiming_host,
    };
    const r = await db.transaction(async (tx) => {
      await lockClaimedAccount(tx, ref.remoteActorId);
      return applyClaim(tx, config, ref);
    });
    shares += r.shares;
    amount += r.amount;
  }
  return { shares, amount };
}
