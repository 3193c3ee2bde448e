import { ok, type Result, refused } from "../../errors.ts";
import { type AccountStats, accountStatsOf } from "../../social/account-stats.ts";
import {
  mentionOf,
  type StatusMention,
  type TimelineEntry,
  toEntry,
} from "../../social/status-query.ts";
import { statusById } from "../../social/timelines.ts";
import { flattrCall, type PayerToken } from "../flattr.ts";
import { callStar } from "../star-batch.ts";
import type { StarFacts } from "../status-flattrs.ts";
import {
  flattrStatus,
  noSuchPost,
  ownPost,
  type StarRefusal,
  type StatusFlattrDeps,
} from "./flattr-status.ts";

/*
 * The star of a Mastodon app with its access token (favourite = flattr, docs/adr/0019): the
 * same door as flattrStatus, asked in one statement that also checks the token and reads the
 * Status to answer (docs/adr/0028). What that statement leaves to the ordinary door it hands
 * over unchanged: a remote note (its thing may need resolving, its server may be blocked) and
 * every refusal of the flattr itself (the door words it; nothing was written), at the cost of
 * a second round trip on those stars only.
 */

/** What the Status shows besides the status, read by the star's own statement. */
export interface StarExtras {
  stars: StarFacts;
  mentions: StatusMention[];
  /** The author's counts (zeros for a remote author). */
  authorStats: AccountStats;
}

export interface StarredStatus {
  status: TimelineEntry;
  /** Null when the ordinary door starred it: the surface reads them then. */
  extras: StarExtras | null;
}

/** Why the token cannot star: unknown or revoked, without a flattr scope, or app-only. */
export type StarTokenRefusal = "invalid_token" | "insufficient_scope" | "user_required";

export type StarByToken =
  | { tokenOk: false; refusal: StarTokenRefusal }
  | { tokenOk: true; payerId: number; result: Result<StarredStatus, StarRefusal> };

const TOKEN_REFUSALS: readonly string[] = ["invalid_token", "insufficient_scope", "user_required"];

/**
 * Flattrs a status for the current period for the user of `token` (which must hold a flattr
 * scope), as flattrStatus does, and answers the Status as the payer now sees it. The token is
 * checked first, then the status (thing_not_found when the payer may not read it), then the
 * flattr's rules.
 */
export async function starByToken(
  deps: StatusFlattrDeps,
  token: PayerToken,
  statusId: bigint,
): Promise<StarByToken> {
  const { tokenHash, ...call } = flattrCall(deps.clock, deps.config, token, 0);
  const row = await callStar(deps.db, { ...call, tokenHash: tokenHash!, statusId });
  if (TOKEN_REFUSALS.includes(row.outcome) || row.payer === null)
    return { tokenOk: false, refusal: row.outcome as StarTokenRefusal };
  const payerId = Number(row.payer);
  const answer = (result: Result<StarredStatus, StarRefusal>): StarByToken => ({
    tokenOk: true,
    payerId,
    result,
  });
  switch (row.outcome) {
    case "status_not_found":
      return answer(refused(noSuchPost()));
    case "own_status":
      return answer(refused(ownPost()));
    case "ok":
    case "already_flattred": {
      const s = row.status;
      if (!s) {
        // Deleted between the flattr and the read of the same statement: answered as it is now.
        const status = await statusById(deps.db, deps.config, statusId, payerId);
        return answer(status ? ok({ status, extras: null }) : refused(noSuchPost()));
      }
      return answer(
        ok({
          status: toEntry(deps.config, s),
          extras: {
            stars: { count: Number(row.stars ?? 0), flattred: true },
            mentions: s.mentions.map((m) => mentionOf(deps.config, m)),
            authorStats: accountStatsOf(s),
          },
        }),
      );
    }
    default: {
      const appId = row.app === null ? null : Number(row.app);
      const done = await flattrStatus(deps, payerId, statusId, { appId });
      return answer(done.ok ? ok({ status: done.value.status, extras: null }) : done);
    }
  }
}
