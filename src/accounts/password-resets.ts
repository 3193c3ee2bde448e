import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lte, or, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { passwordResets, users } from "../db/schema/index.ts";
import { AccountError } from "./errors.ts";
import { hashPassword } from "./passwords.ts";
import { endOtherSessions } from "./sessions.ts";
import { findUserByUsername, type User } from "./users.ts";
import { validatePassword } from "./validation.ts";

/**
 * Password resets by an administrator: there is no mail server to send a link to, so the admin
 * makes a one-time link (`fediflattr user reset-password`, or /admin/users) and hands it to the
 * person through a channel they trust. 256 random bits, only the hash stored, one use, a day.
 */
export const PASSWORD_RESET_TTL_SECONDS = 24 * 3600;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface PasswordReset {
  token: string;
  user: User;
  expiresAt: Date;
}

/** A new reset link's token for the account named `username`; earlier unused links stop working. */
export async function createPasswordReset(
  db: Db,
  clock: Clock,
  username: string,
): Promise<PasswordReset> {
  const user = await findUserByUsername(db, username.trim().replace(/^@/, ""));
  if (!user) {
    throw new AccountError("not_found", `There is no account @${username.trim()}.`, "username");
  }
  const token = randomBytes(32).toString("base64url");
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + PASSWORD_RESET_TTL_SECONDS * 1000);
  await db.transaction(async (tx) => {
    // One live link per account: a link sent to the wrong person is undone by making another.
    await tx
      .delete(passwordResets)
      .where(
        and(
          eq(passwordResets.userId, user.id),
          or(isNull(passwordResets.usedAt), lte(passwordResets.expiresAt, now)),
        ),
      );
    await tx
      .insert(passwordResets)
      .values({ tokenHash: hashToken(token), userId: user.id, createdAt: now, expiresAt });
  });
  return { token, user, expiresAt };
}

function unusable(): AccountError {
  return new AccountError(
    "reset_invalid",
    "This password link does not work (any more): it works once and for a day. Ask an " +
      "administrator for a new one.",
  );
}

/** The account a reset link is for, if the link still works (for the form's heading). */
export async function passwordResetUser(
  db: Db,
  clock: Clock,
  token: string,
): Promise<{ id: number; username: string }> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw unusable();
  const [row] = await db
    .select({ id: users.id, username: users.username })
    .from(passwordResets)
    .innerJoin(users, eq(users.id, passwordResets.userId))
    .where(
      and(
        eq(passwordResets.tokenHash, hashToken(token)),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, clock.now()),
        isNull(users.deletedAt),
      ),
    );
  if (!row) throw unusable();
  return row;
}

/**
 * Sets the new password through a link, once: the link is marked used in the same statement that
 * checks it, so two submissions at once cannot both pass. Every session of the account ends (whoever
 * knew the old password is logged out). Returns the account's id.
 */
export async function usePasswordReset(
  db: Db,
  clock: Clock,
  token: string,
  input: { password: string; repeat: string },
): Promise<{ id: number; username: string }> {
  const account = await passwordResetUser(db, clock, token);
  const password = validatePassword(input.password);
  if (input.password !== input.repeat) {
    throw new AccountError("invalid", "The two passwords are not the same.", "repeat");
  }
  const passwordHash = await hashPassword(password);
  const now = clock.now();
  await db.transaction(async (tx) => {
    const used = await tx
      .update(passwordResets)
      .set({ usedAt: now })
      .where(
        and(
          eq(passwordResets.tokenHash, hashToken(token)),
          isNull(passwordResets.usedAt),
          gt(passwordResets.expiresAt, now),
        ),
      )
      .returning({ userId: passwordResets.userId });
    if (used[0]?.userId !== account.id) throw unusable();
    await tx
      .update(users)
      .set({ passwordHash })
      .where(and(eq(users.id, account.id), sql`${users.deletedAt} is null`));
    await endOtherSessions(tx, account.id);
  });
  return account;
}

/** Drops links that can no longer be used (housekeeping). */
export async function pruneExpiredPasswordResets(db: Db, clock: Clock): Promise<void> {
  await db.delete(passwordResets).where(lte(passwordResets.expiresAt, clock.now()));
}
