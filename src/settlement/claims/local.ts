import { sql } from "drizzle-orm";
import { actorUrl } from "../../config/urls.ts";
import { type Db, queryRows } from "../../db/client.ts";
import type { Deps } from "../../deps.ts";
import { ok, type Result, refused } from "../../errors.ts";
import { linkRemoteActor } from "../../flattr/linked-actors.ts";
import type { RemoteLookup } from "../../flattr/remote-lookup.ts";
import { resolveThing } from "../../flattr/resolve.ts";
import type { ResolveError } from "../../flattr/resolve-errors.ts";
import { applyClaim, lockClaimedAccount } from "./apply.ts";
import { ClaimError } from "./errors.ts";
import { checkProof, claimantOfCode, newClaimCode } from "./proof.ts";

/*
 * Claims made here (issue 10, point 7): a user names a remote account (a handle or an address),
 * gets a one-time code that names their account here, puts it in that account's profile or a
 * public post, and asks us to verify. The instance actor fetches the proof; the first verified
 * claim of an account wins: the account is linked to the user (linked-actors.ts: its things are
 * theirs from then on) and its held shares move to their earnings (apply.ts), in one transaction.
 * A later verified claim by someone else is kept as a rival for the admin. A won claim is then
 * announced to the peers (src/federation/claims.ts), which verify it themselves.
 */

export type ClaimState = "pending" | "won" | "rival" | "failed";

export interface ClaimView {
  id: number;
  account: { uri: string; handle: string | null; name: string };
  /** user@host of the claimant, and their actor id. */
  claimant: { handle: string; uri: string; host: string | null };
  code: string;
  proofUrl: string | null;
  state: ClaimState;
  problem: string | null;
  createdAt: Date;
  verifiedAt: Date | null;
  /** Shares this claim took, in minor units. */
  claimed: bigint;
  /** Shares still held for the account (open, unclaimed route). */
  held: bigint;
}

interface Row extends Record<string, unknown> {
  id: string;
  uri: string;
  handle: string | null;
  name: string | null;
  claimant_uri: string;
  claiming_host: string | null;
  username: string | null;
  code: string;
  proof_url: string | null;
  state: ClaimState;
  problem: string | null;
  created_at: string | Date;
  verified_at: string | Date | null;
  claimed: string;
  held: string;
}

const select = sql`select c.id::text, a.uri, a.handle, a.name, c.claimant_uri, c.claiming_host,
    u.username, c.code, c.proof_url, c.state, c.problem, c.created_at, c.verified_at,
    (select coalesce(sum(s.amount), 0) from remote_shares s where s.claim_id = c.id)::text as claimed,
    (select coalesce(sum(s.amount), 0) from remote_shares s
     where s.remote_actor_id = c.remote_actor_id and s.route = 'unclaimed' and s.state = 'open')::text as held
  from pledge_claims c
  join remote_actors a on a.id = c.remote_actor_id
  left join users u on u.id = c.user_id`;

function view(r: Row, ourHost: string): ClaimView {
  const claimantHandle =
    r.username !== null ? `${r.username}@${ourHost}` : (claimantOfCode(r.code) ?? r.claimant_uri);
  return {
    id: Number(r.id),
    account: { uri: r.uri, handle: r.handle, name: r.name ?? "" },
    claimant: { handle: claimantHandle, uri: r.claimant_uri, host: r.claiming_host },
    code: r.code,
    proofUrl: r.proof_url,
    state: r.state,
    problem: r.problem,
    createdAt: new Date(r.created_at),
    verifiedAt: r.verified_at === null ? null : new Date(r.verified_at),
    claimed: BigInt(r.claimed),
    held: BigInt(r.held),
  };
}

/** The user's claims, newest first. */
export async function myClaims(deps: Deps, userId: number): Promise<ClaimView[]> {
  const rows = await queryRows<Row>(
    deps.database.db,
    sql`${select} where c.user_id = ${userId}::int8 order by c.id desc`,
  );
  return rows.map((r) => view(r, deps.config.origin.host));
}

/** Every verified claim (won and rival), for the admin: rivals are shown next to the winner. */
export async function verifiedClaims(deps: Deps): Promise<ClaimView[]> {
  const rows = await queryRows<Row>(
    deps.database.db,
    sql`${select} where c.state in ('won', 'rival') order by c.remote_actor_id, c.verified_at, c.id`,
  );
  return rows.map((r) => view(r, deps.config.origin.host));
}

async function claimById(db: Db, ourHost: string, id: number): Promise<ClaimView | null> {
  const [row] = await queryRows<Row>(db, sql`${select} where c.id = ${id}::int8`);
  return row ? view(row, ourHost) : null;
}

/**
 * Starts (or finds again) the user's claim of the account named by `account` (a handle such as
 * @bob@mastodon.example, or the address of the account or of one of its posts): the code to
 * put in the profile or a public post.
 */
export async function startClaim(
  deps: Deps,
  lookup: RemoteLookup,
  userId: number,
  account: string,
): Promise<Result<ClaimView, ClaimError | ResolveError>> {
  const resolved = await resolveThing(deps, lookup, account.trim());
  if (!resolved.ok) return resolved;
  const actorId = resolved.value.thing.remoteOwnerId;
  if (actorId === null)
    return refused(
      new ClaimError("claim_not_remote", "That account is on this instance: nothing to claim."),
    );
  const { db } = deps.database;
  const host = deps.config.origin.host;
  const [user] = await queryRows<{ username: string }>(
    db,
    sql`select username from users where id = ${userId}::int8`,
  );
  if (!user) return refused(new ClaimError("claim_not_found", "No such user."));
  const [existing] = await queryRows<{ id: string; state: string }>(
    db,
    sql`select id::text, state from pledge_claims
        where user_id = ${userId}::int8 and remote_actor_id = ${actorId}::int8
          and state in ('pending', 'won', 'rival')
        order by id desc limit 1`,
  );
  if (existing?.state === "won")
    return refused(new ClaimError("claim_already_yours", "You have already claimed this account."));
  if (existing) return ok((await claimById(db, host, Number(existing.id)))!);
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into pledge_claims (remote_actor_id, user_id, claimant_uri, code, created_at)
        values (${actorId}::int8, ${userId}::int8,
                ${actorUrl(deps.config, user.username)},
                ${newClaimCode(`${user.username}@${host}`)}, ${deps.clock.now().toISOString()}::timestamptz)
        returning id::text`,
  );
  return ok((await claimById(db, host, Number(row!.id)))!);
}

/**
 * Verifies the user's claim: reads the proof (a post's address, or the account's profile when
 * `proofUrl` is empty) and, when the code is there, decides it in one transaction: the first
 * verified claim of the account wins (linked, held shares to the user's earnings), a later one is
 * a rival. A proof that does not hold changes nothing but the problem shown with the claim.
 */
export async function verifyClaim(
  deps: Deps,
  lookup: RemoteLookup,
  userId: number,
  claimId: number,
  proofUrl: string | null,
): Promise<Result<ClaimView, ClaimError>> {
  const { db } = deps.database;
  const host = deps.config.origin.host;
  const [claim] = await queryRows<{
    remote_actor_id: string;
    uri: string;
    code: string;
    state: string;
  }>(
    db,
    sql`select c.remote_actor_id::text, a.uri, c.code, c.state from pledge_claims c
        join remote_actors a on a.id = c.remote_actor_id
        where c.id = ${claimId}::int8 and c.user_id = ${userId}::int8`,
  );
  if (!claim) return refused(new ClaimError("claim_not_found", "No such claim of yours."));
  if (claim.state !== "pending") return ok((await claimById(db, host, claimId))!);
  const proof = await checkProof(lookup, claim.uri, proofUrl?.trim() || null, claim.code);
  if (!proof.ok) {
    await db.execute(
      sql`update pledge_claims set problem = ${proof.error.message} where id = ${claimId}::int8`,
    );
    return proof;
  }
  const actorId = BigInt(claim.remote_actor_id);
  const now = deps.clock.now();
  await db.transaction(async (tx) => {
    await lockClaimedAccount(tx, actorId);
    const [decided] = await queryRows<{ state: string }>(
      tx,
      sql`update pledge_claims c
          set state = case when exists (select 1 from pledge_claims w
                                        where w.remote_actor_id = c.remote_actor_id
                                          and w.state = 'won') then 'rival' else 'won' end,
              proof_url = ${proof.value.proofUrl}, problem = null,
              verified_at = ${now.toISOString()}::timestamptz
          where c.id = ${claimId}::int8 and c.state = 'pending'
          returning c.state`,
    );
    if (decided?.state !== "won") return;
    await linkRemoteActor(tx, deps.clock, deps.config, userId, actorId);
    await applyClaim(tx, deps.config, {
      id: claimId,
      remoteActorId: actorId,
      userId,
      claimingHost: null,
    });
  });
  return ok((await claimById(db, host, claimId))!);
}
