import { createHash, randomBytes } from "node:crypto";
import { eq, lte, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { queryRows } from "../db/client.ts";
import { setupTokens, users } from "../db/schema/index.ts";
import { insertUser, prepareUser, type User } from "./users.ts";

/**
 * The first run without a CLI: while no administrator exists, every server start makes a one-time
 * setup token and logs its link; the link's page creates the first administrator.
 *
 * Older links keep working until they expire (or an administrator exists) instead of dying when
 * the next start prints a new one: with several web processes on PostgreSQL, or a container that
 * restarted between the operator reading the log and opening the link, "only the newest" would
 * make the link someone just copied fail at random. What bounds them instead: 256 random bits
 * each, only their hash stored, 24 hours, and all of them gone the moment an administrator exists.
 */
export const SETUP_TOKEN_TTL_SECONDS = 24 * 3600;

/** Where a setup token stands. "done": an administrator exists, so no token works any more. */
export type SetupTokenState = "valid" | "unknown" | "expired" | "done";

// Serialises setup attempts: two links used at once must not make two first administrators.
const SETUP_LOCK = sql`select pg_advisory_xact_lock(hashtext('fediflattr:setup'))`;

function hashSetupToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

async function hasAdmin(db: Db): Promise<boolean> {
  const [row] = await queryRows<{ admin: boolean }>(
    db,
    sql`select exists(select 1 from ${users} where ${users.isAdmin}) as admin`,
  );
  return row?.admin === true;
}

/**
 * At a server start: a new setup token while no administrator exists (returned in plain text,
 * for the link; stored hashed), else null. Drops tokens that can no longer be used.
 */
export async function issueSetupToken(db: Db, clock: Clock): Promise<string | null> {
  const now = clock.now();
  if (await hasAdmin(db)) {
    await db.delete(setupTokens);
    return null;
  }
  await db.delete(setupTokens).where(lte(setupTokens.expiresAt, now));
  const token = randomBytes(32).toString("base64url");
  await db.insert(setupTokens).values({
    tokenHash: hashSetupToken(token),
    createdAt: now,
    expiresAt: new Date(now.getTime() + SETUP_TOKEN_TTL_SECONDS * 1000),
  });
  return token;
}

export async function setupTokenState(
  db: Db,
  clock: Clock,
  token: string,
): Promise<SetupTokenState> {
  if (await hasAdmin(db)) return "done";
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return "unknown";
  const [row] = await db
    .select({ expiresAt: setupTokens.expiresAt })
    .from(setupTokens)
    .where(eq(setupTokens.tokenHash, hashSetupToken(token)));
  if (!row) return "unknown";
  return row.expiresAt.getTime() > clock.now().getTime() ? "valid" : "expired";
}

export interface FirstAdmin {
  username: string;
  email: string;
  password: string;
}

/**
 * Creates the first administrator with a valid setup token, and with it ends every setup token.
 * Input is checked by the sign-up rules (AccountError naming the field), except that the operator
 * may take a reserved name such as "admin". A token that is not (or no longer) valid changes
 * nothing and is answered with its state.
 */
export async function completeSetup(
  db: Db,
  clock: Clock,
  token: string,
  input: FirstAdmin,
): Promise<{ ok: true; user: User } | { ok: false; state: Exclude<SetupTokenState, "valid"> }> {
  const before = await setupTokenState(db, clock, token);
  if (before !== "valid") return { ok: false, state: before };
  // Validate and hash before the transaction: hashing is the slow part, and it holds the lock.
  const prepared = await prepareUser({ ...input, isAdmin: true, allowReserved: true });
  return db.transaction(async (tx) => {
    await tx.execute(SETUP_LOCK);
    const state = await setupTokenState(tx, clock, token);
    if (state !== "valid") return { ok: false, state };
    const user = await insertUser(tx, clock, prepared);
    await tx.delete(setupTokens);
    return { ok: true, user };
  });
}
