import { eq, sql } from "drizzle-orm";
import { checkCurrentPassword } from "../accounts/credentials.ts";
import { AccountError } from "../accounts/errors.ts";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import {
  accessTokens,
  budgets,
  oauthCodes,
  passwordResets,
  sessions,
  userPreferences,
  users,
} from "../db/schema/index.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { withdrawFlattrsOfDeletedUser } from "../flattr/withdraw-deleted.ts";
import {
  accountUserIdSql,
  balanceOf,
  earningsAccount,
  earningsAccountSql,
  walletAccount,
  walletAccountSql,
} from "../ledger/index.ts";

/*
 * Deleting an account (ADR 0023). The ledger keeps its history, so the user row stays and is
 * anonymised: e-mail, password, name, bio and preferences are cleared, sessions, tokens, budget and reset
 * links go, and the username stays taken (federated copies and the ledger's account names point
 * at it; nobody else may receive what was meant for it). Money decides whether it may happen:
 * a wallet or earnings with money in them must be withdrawn first. Money that still arrives
 * later (a refund, a returned pledge, a peer's credit, a sealed month's close) lands in the
 * deleted user's ledger accounts and is listed for the administrators (`deletedAccountsWithMoney`).
 */

export interface DeletionPreview {
  wallet: bigint;
  earnings: bigint;
  /** Active flattrs this month (made by the user, or of the user's things) that will be withdrawn. */
  openFlattrs: number;
  /** The user's things, which nobody can flattr any more. */
  things: number;
  /** Empty when the account may be deleted now; else what has to happen first. */
  blockers: string[];
}

async function counts(db: Db, config: Config, clock: Clock, userId: number) {
  const period = currentPeriod(clock, config);
  const [row] = await queryRows<{ open_flattrs: string; things: string }>(
    db,
    sql`select
      (select count(*) from flattrs f
        where f.withdrawn_at is null and f.period = ${period}
          and (f.payer_id = ${userId} or f.thing_id in (
            select t.id from things t where t.owner_kind = 'local' and t.owner_id = ${userId})))::text
        as open_flattrs,
      (select count(*) from things t where t.owner_kind = 'local' and t.owner_id = ${userId})::text
        as things`,
  );
  return { openFlattrs: Number(row?.open_flattrs ?? 0), things: Number(row?.things ?? 0) };
}

/** What deleting the account would do with its money and flattrs, said before it is confirmed. */
export async function previewAccountDeletion(
  db: Db,
  config: Config,
  clock: Clock,
  userId: number,
): Promise<DeletionPreview> {
  const wallet = await balanceOf(db, walletAccount(userId), config.currency);
  const earnings = await balanceOf(db, earningsAccount(userId), config.currency);
  const blockers: string[] = [];
  if (wallet !== 0n) blockers.push("wallet");
  if (earnings !== 0n) blockers.push("earnings");
  return { wallet, earnings, ...(await counts(db, config, clock, userId)), blockers };
}

/**
 * Deletes (anonymises) the account, when its password is given and its wallet and earnings are
 * empty. The balances are read again inside the transaction, after the user row is locked; a
 * deposit racing it still lands in the ledger and shows to the admin. Returns how many flattrs
 * were withdrawn.
 */
export async function deleteAccount(
  db: Db,
  config: Config,
  clock: Clock,
  userId: number,
  password: string,
): Promise<{ withdrawn: number }> {
  await checkCurrentPassword(db, { clock, config }, userId, password, "password");
  const now = clock.now();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select id from ${users} where id = ${userId} for update`);
    const wallet = await balanceOf(tx, walletAccount(userId), config.currency);
    const earnings = await balanceOf(tx, earningsAccount(userId), config.currency);
    if (wallet !== 0n || earnings !== 0n) {
      throw new AccountError(
        "has_money",
        "This account still holds money. Withdraw your wallet and earnings first; an account " +
          "with money in it cannot be deleted.",
      );
    }
    const withdrawn = await withdrawFlattrsOfDeletedUser(tx, userId, now);
    await tx.delete(sessions).where(eq(sessions.userId, userId));
    await tx.delete(accessTokens).where(eq(accessTokens.userId, userId));
    await tx.delete(oauthCodes).where(eq(oauthCodes.userId, userId));
    await tx.delete(passwordResets).where(eq(passwordResets.userId, userId));
    await tx.delete(budgets).where(eq(budgets.userId, userId));
    await tx.delete(userPreferences).where(eq(userPreferences.userId, userId));
    await tx
      .update(users)
      .set({
        // Unique and undeliverable (RFC 2606 .invalid): the address is free for a new account.
        email: `deleted-${userId}@deleted.invalid`,
        passwordHash: "!", // matches no password: verifyPassword refuses malformed hashes
        displayName: "",
        bio: "",
        isAdmin: false,
        deletedAt: now,
      })
      .where(eq(users.id, userId));
    return { withdrawn };
  });
}

export interface DeletedAccountMoney {
  userId: number;
  username: string;
  deletedAt: Date;
  wallet: bigint;
  earnings: bigint;
}

/**
 * Deleted accounts whose wallet or earnings hold money (it arrived after the deletion): the
 * administrators see it, so it is never lost, and settle it with the person by hand.
 */
export async function deletedAccountsWithMoney(
  db: Db,
  config: Config,
): Promise<DeletedAccountMoney[]> {
  const rows = await queryRows<{
    id: string | number;
    username: string;
    deleted_at: string | Date;
    wallet: string;
    earnings: string;
  }>(
    db,
    sql`select u.id, u.username, u.deleted_at,
          coalesce((select b.balance from ledger_balances b
                    where b.account = ${walletAccountSql(sql`u.id`)}
                      and b.currency = ${config.currency}), 0)::text as wallet,
          coalesce((select b.balance from ledger_balances b
                    where b.account = ${earningsAccountSql(sql`u.id`)}
                      and b.currency = ${config.currency}), 0)::text as earnings
        from users u
        where u.deleted_at is not null and u.id in (
          select ${accountUserIdSql(sql`b.account`)} from ledger_balances b where b.balance <> 0)
        order by u.deleted_at, u.id`,
  );
  return rows.map((r) => ({
    userId: Number(r.id),
    username: r.username,
    deletedAt: new Date(r.deleted_at),
    wallet: BigInt(r.wallet),
    earnings: BigInt(r.earnings),
  }));
}
