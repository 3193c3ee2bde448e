import { randomBytes } from "node:crypto";
import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { invites, users } from "../db/schema/index.ts";
import { AccountError } from "./errors.ts";

// Crockford's base32: no i, l, o, u, so a code read aloud or retyped survives.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE_LENGTH = 16; // 80 bits: guessing one is hopeless even without the sign-up rate limit

export function generateInviteCode(): string {
  const bytes = randomBytes(CODE_LENGTH);
  let code = "";
  for (const b of bytes) code += ALPHABET[b & 31]; // 256 is a multiple of 32: no bias
  return code;
}

/**
 * The stored form of a typed code: case, spaces and dashes are ignored and the characters people
 * confuse are mapped (Crockford). Null when it cannot be a code at all.
 */
export function normalizeInviteCode(raw: string): string | null {
  const code = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]/g, "")
    .replace(/[il]/g, "1")
    .replace(/o/g, "0");
  return new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`).test(code) ? code : null;
}

export interface Invite {
  code: string;
  createdBy: number | null;
  createdAt: Date;
  usedAt: Date | null;
  usedByUsername: string | null;
}

export interface InviteCreator {
  id: number;
  isAdmin: boolean;
}

/**
 * Creates `count` codes. A user may create `config.invitesPerUser` in total (used or not);
 * admins and the operator (`creator` null, or `unlimited`) have no limit. The creator's row is
 * locked while counting, so concurrent requests cannot exceed the quota together.
 */
export async function createInvites(
  db: Db,
  clock: Clock,
  config: Config,
  options: { creator: InviteCreator | null; count?: number; unlimited?: boolean },
): Promise<string[]> {
  const n = options.count ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new AccountError("invalid", "The number of invites must be between 1 and 1000.");
  }
  const creator = options.creator;
  return db.transaction(async (tx) => {
    if (creator) {
      const [locked] = await tx
        .select({ isAdmin: users.isAdmin })
        .from(users)
        .where(eq(users.id, creator.id))
        .for("update");
      if (!locked) throw new AccountError("not_found", "No such user.");
      if (!options.unlimited && !locked.isAdmin) {
        const used = await countCreated(tx, creator.id);
        const left = Math.max(0, config.invitesPerUser - used);
        if (n > left) {
          throw new AccountError(
            "invite_quota",
            left === 0
              ? `You have used all ${config.invitesPerUser} of your invites.`
              : `You can create only ${left} more invite${left === 1 ? "" : "s"}.`,
          );
        }
      }
    }
    const now = clock.now();
    const codes = Array.from({ length: n }, generateInviteCode);
    await tx
      .insert(invites)
      .values(codes.map((code) => ({ code, createdBy: creator?.id ?? null, createdAt: now })));
    return codes;
  });
}

async function countCreated(db: Db, userId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(invites).where(eq(invites.createdBy, userId));
  return Number(row?.n ?? 0);
}

/** How many more invites the user may create; null means unlimited. */
export async function invitesRemaining(
  db: Db,
  config: Config,
  creator: InviteCreator,
): Promise<number | null> {
  if (creator.isAdmin) return null;
  return Math.max(0, config.invitesPerUser - (await countCreated(db, creator.id)));
}

const usedBy = alias(users, "used_by_user");

/** A user's invites, oldest first, with who used each. */
export async function listInvites(db: Db, userId: number): Promise<Invite[]> {
  return db
    .select({
      code: invites.code,
      createdBy: invites.createdBy,
      createdAt: invites.createdAt,
      usedAt: invites.usedAt,
      usedByUsername: usedBy.username,
    })
    .from(invites)
    .leftJoin(usedBy, eq(usedBy.id, invites.usedBy))
    .where(eq(invites.createdBy, userId))
    .orderBy(asc(invites.createdAt), asc(invites.code));
}

/**
 * Takes a code for a sign-up inside the caller's transaction. The conditional UPDATE is the
 * atomic step: of two transactions racing for one code, the second waits on the row lock, then
 * finds `used_at` set and claims nothing. If the sign-up fails later, the rollback frees the code.
 */
export async function claimInvite(db: Db, clock: Clock, code: string): Promise<void> {
  const claimed = await db
    .update(invites)
    .set({ usedAt: clock.now() })
    .where(and(eq(invites.code, code), isNull(invites.usedAt)))
    .returning({ code: invites.code });
  if (claimed.length === 1) return;
  const [exists] = await db
    .select({ one: sql<number>`1` })
    .from(invites)
    .where(eq(invites.code, code));
  throw exists
    ? new AccountError("invite_used", "This invite code has already been used.", "invite")
    : new AccountError("invite_invalid", "This invite code is not valid.", "invite");
}

export async function recordInviteUse(db: Db, code: string, userId: number): Promise<void> {
  await db.update(invites).set({ usedBy: userId }).where(eq(invites.code, code));
}
