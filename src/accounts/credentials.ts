import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { queryRows } from "../db/client.ts";
import { users } from "../db/schema/index.ts";
import { AccountError, uniqueViolation } from "./errors.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { endOtherSessions } from "./sessions.ts";
import { validateEmail, validatePassword } from "./validation.ts";

/** The stored hash of a live account, or a refusal. */
async function currentHash(db: Db, userId: number): Promise<string> {
  const rows = await queryRows<{ password_hash: string }>(
    db,
    sql`select password_hash from ${users} where id = ${userId} and deleted_at is null`,
  );
  if (!rows[0]) throw new AccountError("not_found", "Your account no longer exists.");
  return rows[0].password_hash;
}

/** Someone at an unlocked browser cannot change what proves who you are without knowing it. */
async function checkCurrentPassword(db: Db, userId: number, password: string): Promise<void> {
  if (!password) {
    throw new AccountError("wrong_password", "Enter your current password.", "current");
  }
  if (!(await verifyPassword(password, await currentHash(db, userId)))) {
    throw new AccountError("wrong_password", "Your current password is not right.", "current");
  }
}

/**
 * Changes a password when the current one is given; every other session of the account ends (a
 * person changing a password they think someone knows wants that someone logged out), the one
 * in `keepSessionToken` (this browser) stays. Returns how many sessions ended.
 */
export async function changePassword(
  db: Db,
  userId: number,
  input: { current: string; next: string; repeat: string; keepSessionToken?: string },
): Promise<number> {
  const next = validatePassword(input.next);
  if (input.next !== input.repeat) {
    throw new AccountError("invalid", "The two new passwords are not the same.", "repeat");
  }
  await checkCurrentPassword(db, userId, input.current);
  const passwordHash = await hashPassword(next);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
    return endOtherSessions(tx, userId, input.keepSessionToken);
  });
}

/** Changes the e-mail address (also a login name) when the current password is given. */
export async function changeEmail(
  db: Db,
  userId: number,
  input: { email: string; password: string },
): Promise<string> {
  const email = validateEmail(input.email);
  await checkCurrentPassword(db, userId, input.password);
  const taken = await queryRows<{ id: number }>(
    db,
    sql`select id from ${users} where lower(email) = lower(${email}) and id <> ${userId}`,
  );
  const refusal = new AccountError(
    "taken",
    "Another account already uses this e-mail address.",
    "email",
  );
  if (taken[0]) throw refusal;
  try {
    await db.update(users).set({ email }).where(eq(users.id, userId));
  } catch (e) {
    if (uniqueViolation(e)) throw refusal;
    throw e;
  }
  return email;
}
