import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../db/client.ts";
import { pgError } from "../../db/pg-error.ts";
import type { Deps } from "../../deps.ts";
import type { RemoteLookup } from "../../flattr/remote-lookup.ts";
import { ensureRemoteActor } from "../../flattr/resolve.ts";
import { peerAdmittedSql } from "../../peers/admission.ts";
import { hostOf } from "../../peers/host.ts";
import { applyClaim, lockClaimedAccount } from "./apply.ts";
import { checkProof, claimantOfCode } from "./proof.ts";

/*
 * Claims across instances (issue 10, point 7; docs/PROTOCOL.md, "Claims"). A claim verified on
 * another Fediflattr server is announced to us by its instance actor, with where the proof is.
 * We never take its word: we read the proof ourselves, and only then does the claim count here.
 * The first verified claim of an account wins (on every server by the same rule, so a rival may
 * win here and lose there only if the two proofs were verified in another order; both are shown
 * to the admins). A won announced claim moves the account's held shares to clearing:<claiming
 * server>, and the next settlement summary to that server carries them as claimed-pledge lines
 * (src/settlement/summaries/claim-lines.ts; claimedPledgeShares lists those not settled yet).
 */

export interface ClaimAnnouncement {
  /** The announcing activity's id: receipt is idempotent by it. */
  id: string;
  /** The host of the announcing instance actor (verified by the inbox: signer and origin). */
  claimingHost: string;
  /** The claimed account's actor id. */
  accountUri: string;
  /** The claimant's actor id, on the claiming server. */
  claimantUri: string;
  code: string;
  /** Where the proof is (a post, or the account itself). */
  proofUrl: string;
}

export type ClaimReceipt =
  | { outcome: "won" | "rival"; claimId: number; shares: number; amount: bigint }
  | { outcome: "duplicate"; claimId: number }
  | { outcome: "refused"; reason: string };

/** Checks an announced claim and records it: won, rival, or (its proof not holding) failed. */
export async function receiveClaim(
  deps: Deps,
  lookup: RemoteLookup,
  a: ClaimAnnouncement,
): Promise<ClaimReceipt> {
  const { db } = deps.database;
  const [seen] = await queryRows<{ id: string }>(
    db,
    sql`select id::text from pledge_claims where announcement_id = ${a.id}`,
  );
  if (seen) return { outcome: "duplicate", claimId: Number(seen.id) };
  const claimant = claimantOfCode(a.code);
  // The code names the claimant; both must be of the announcing server.
  if (claimant === null || claimant.split("@")[1] !== a.claimingHost)
    return {
      outcome: "refused",
      reason: "the code does not name an account of the announcing server",
    };
  if (hostOf(a.claimantUri) !== a.claimingHost)
    return { outcome: "refused", reason: "the claimant is not on the announcing server" };
  if (hostOf(a.accountUri) === a.claimingHost || a.claimingHost === deps.config.origin.host)
    return {
      outcome: "refused",
      reason: "an account of the claiming server itself is not claimed",
    };
  const actor = await ensureRemoteActor(deps, lookup, a.accountUri);
  if (!actor.ok) return { outcome: "refused", reason: `the account: ${actor.error.message}` };
  const proof = await checkProof(lookup, a.accountUri, a.proofUrl, a.code);
  const now = deps.clock.now().toISOString();
  try {
    return await db.transaction(async (tx) => {
      await lockClaimedAccount(tx, actor.value.id);
      const [row] = await queryRows<{ id: string; state: string }>(
        tx,
        sql`insert into pledge_claims (remote_actor_id, claimant_uri, claiming_host, code,
                                       proof_url, state, problem, announcement_id, created_at,
                                       verified_at)
            select ${actor.value.id}::int8, ${a.claimantUri}, ${a.claimingHost}, ${a.code},
                   ${a.proofUrl},
                   case when ${!proof.ok}::boolean then 'failed'
                        when exists (select 1 from pledge_claims w
                                     where w.remote_actor_id = ${actor.value.id}::int8
                                       and w.state = 'won') then 'rival'
                        else 'won' end,
                   ${proof.ok ? null : proof.error.message}, ${a.id}, ${now}::timestamptz,
                   ${proof.ok ? now : null}::timestamptz
            returning id::text, state`,
      );
      const claimId = Number(row!.id);
      if (row!.state === "failed")
        return { outcome: "refused", reason: proof.ok ? "" : proof.error.message } as const;
      if (row!.state === "rival")
        return { outcome: "rival", claimId, shares: 0, amount: 0n } as const;
      const moved = await applyClaim(tx, deps.config, {
        id: claimId,
        remoteActorId: actor.value.id,
        userId: null,
        claimingHost: a.claimingHost,
      });
      return { outcome: "won", claimId, ...moved } as const;
    });
  } catch (e) {
    // The same announcement received twice at once: the other receipt recorded it.
    if (pgError(e)?.code === "23505") {
      const [again] = await queryRows<{ id: string }>(
        db,
        sql`select id::text from pledge_claims where announcement_id = ${a.id}`,
      );
      if (again) return { outcome: "duplicate", claimId: Number(again.id) };
    }
    throw e;
  }
}

/** A held share claimed through a peer, owed to it: a claimed-pledge line of our next summary. */
export interface ClaimedPledgeShare {
  period: string;
  payerId: number;
  /** The claimed account (the creator). */
  creatorUri: string;
  amount: bigint;
  currency: string;
  flattrs: number;
  likeIds: string[];
  /** The claim it pays: the peer's announcement (which names the claim it made). */
  claimId: number;
  announcementId: string;
  claimantUri: string;
}

const likes = (v: string[] | string): string[] =>
  Array.isArray(v)
    ? v
    : v
        .replace(/^\{|\}$/g, "")
        .split(",")
        .filter(Boolean);

/**
 * The shares claimed through `peerHost` not settled yet (state claimed; the summary that the peer
 * accepts marks them settled), optionally of one period: what our summaries to that peer carry
 * as claimed-pledge lines. Their sum is in clearing:<peerHost> (the ledger check proves it).
 */
export async function claimedPledgeShares(
  db: Db,
  peerHost: string,
  period?: string,
): Promise<ClaimedPledgeShare[]> {
  const rows = await queryRows<{
    period: string;
    payer_id: string;
    uri: string;
    amount: string;
    currency: string;
    flattrs: number;
    like_ids: string[] | string;
    claim_id: string;
    announcement_id: string;
    claimant_uri: string;
  }>(
    db,
    sql`select s.period, s.payer_id::text, a.uri, s.amount::text, s.currency, s.flattrs,
               s.like_ids, s.claim_id::text, c.announcement_id, c.claimant_uri
        from remote_shares s
        join remote_actors a on a.id = s.remote_actor_id
        join pledge_claims c on c.id = s.claim_id
        where s.claimed_by_host = ${peerHost} and s.state = 'claimed'
          and (${period ?? null}::text is null or s.period = ${period ?? null}::text)
        order by s.period, a.uri, s.payer_id`,
  );
  return rows.map((r) => ({
    period: r.period,
    payerId: Number(r.payer_id),
    creatorUri: r.uri,
    amount: BigInt(r.amount),
    currency: r.currency,
    flattrs: Number(r.flattrs),
    likeIds: likes(r.like_ids),
    claimId: Number(r.claim_id),
    announcementId: r.announcement_id,
    claimantUri: r.claimant_uri,
  }));
}

/**
 * The servers a verified claim made here is announced to: every known Fediflattr peer (they
 * may hold pledges for the account) that is admitted (peers/admission.ts).
 */
export async function claimAnnouncementTargets(db: Db): Promise<string[]> {
  const rows = await queryRows<{ host: string }>(
    db,
    sql`select host from peers p where p.speaks_flattr and ${peerAdmittedSql(sql`p.host`)}
        order by host`,
  );
  return rows.map((r) => r.host);
}

export interface ClaimToAnnounce {
  id: number;
  accountUri: string;
  username: string;
  code: string;
  proofUrl: string;
  /** The peer to tell. */
  host: string;
}

/**
 * The announcements still owed: each won claim made here × each target peer not told yet
 * (claimAnnouncementTargets), recorded as told in `tx`, the transaction that must queue them.
 * Concurrent callers never take the same (claim, host).
 */
export async function takeClaimAnnouncements(
  tx: Db,
  at: Date,
  limit = 200,
): Promise<ClaimToAnnounce[]> {
  const targets = await claimAnnouncementTargets(tx);
  if (targets.length === 0) return [];
  const rows = await queryRows<{
    id: string;
    uri: string;
    username: string;
    code: string;
    proof_url: string;
    host: string;
  }>(
    tx,
    sql`with due as (
          select c.id, t.host from pledge_claims c
          cross join (select json_array_elements_text(${JSON.stringify(targets)}::json) as host) t
          where c.state = 'won' and c.claiming_host is null and c.proof_url is not null
            and not exists (select 1 from claim_announcements x
                            where x.claim_id = c.id and x.host = t.host)
          order by c.id, t.host
          limit ${limit}::int4
        ),
        taken as (
          insert into claim_announcements (claim_id, host, queued_at)
          select id, host, ${at.toISOString()}::timestamptz from due
          on conflict (claim_id, host) do nothing
          returning claim_id, host
        )
        select c.id::text, a.uri, u.username, c.code, c.proof_url, t.host
        from taken t join pledge_claims c on c.id = t.claim_id
        join remote_actors a on a.id = c.remote_actor_id
        join users u on u.id = c.user_id
        order by c.id, t.host`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    accountUri: r.uri,
    username: r.username,
    code: r.code,
    proofUrl: r.proof_url,
    host: r.host,
  }));
}
