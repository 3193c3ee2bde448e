import type { Context } from "hono";
import { findUserById } from "../accounts/users.ts";
import type { AppEnv } from "../http/env.ts";
import { accountStats } from "../social/account-stats.ts";
import { findRemoteActorById } from "../social/remote-actors.ts";
import { localAccount, type MastodonAccount, remoteAccount } from "./entities/account.ts";

/*
 * Accounts as the Mastodon API answers them, from what the doors name: a local user id or a
 * cached remote actor id. Account ids are those ids as strings; local ones are small and remote
 * ones time ids above 2^40 (src/db/ids.ts), so one number names one account.
 */

export interface AccountRef {
  userId: number | null;
  remoteActorId: bigint | null;
}

/** The account with this Mastodon id, if it is a local user or a cached remote actor. */
export async function accountById(
  c: Context<AppEnv>,
  id: bigint,
): Promise<{ account: MastodonAccount; ref: AccountRef } | null> {
  const db = c.var.deps.database.db;
  if (id < 2n ** 40n) {
    const user = await findUserById(db, Number(id));
    if (!user) return null;
    const account = localAccount(c.var.deps.config, user, await accountStats(db, user.id));
    return { account, ref: { userId: user.id, remoteActorId: null } };
  }
  const actor = await findRemoteActorById(db, id);
  if (!actor) return null;
  return {
    account: remoteAccount(c.var.deps.config, actor),
    ref: { userId: null, remoteActorId: actor.id },
  };
}

/** These accounts, in order; ones that vanished are left out. */
export async function presentAccounts(
  c: Context<AppEnv>,
  refs: readonly AccountRef[],
): Promise<MastodonAccount[]> {
  const out: MastodonAccount[] = [];
  for (const ref of refs) {
    const id = ref.userId !== null ? BigInt(ref.userId) : ref.remoteActorId;
    if (id === null) continue;
    const found = await accountById(c, id);
    if (found) out.push(found.account);
  }
  return out;
}
