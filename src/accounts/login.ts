import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { queryRows } from "../db/client.ts";
import { users } from "../db/schema/index.ts";
import {
  hitRateLimit,
  loginIpRateKey,
  loginRateKey,
  refundRateLimit,
  resetRateLimit,
} from "./rate-limit.ts";
import { authenticate, type User } from "./users.ts";
import { ANY_CONTROL } from "./validation.ts";

export type LoginOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: "wrong" }
  | { ok: false; reason: "limited"; scope: "address" | "account"; retryAfterSeconds: number };

/**
 * A login attempt with its two budgets of failures, counted before the password is checked (so
 * parallel guesses cannot slip past; each costs a password hash):
 * - per client address across every name it tries (LOGIN_IP_RATE_LIMIT), so one address cannot
 *   try sixty names in ten seconds;
 * - per address and account (LOGIN_RATE_LIMIT), keyed by the account the identifier names, so
 *   its username and its e-mail share one budget. Keyed with the address too, so nobody can lock
 *   a person out of their own account from elsewhere.
 * A success clears the account's counter and takes its own hit back from the address's.
 */
export async function logIn(
  db: Db,
  clock: Clock,
  config: Config,
  input: { ip: string; identifier: string; password: string },
): Promise<LoginOutcome> {
  const ipKey = loginIpRateKey(input.ip);
  const byIp = await hitRateLimit(db, clock, ipKey, config.loginIpRateLimit);
  if (!byIp.allowed) {
    return {
      ok: false,
      reason: "limited",
      scope: "address",
      retryAfterSeconds: byIp.retryAfterSeconds,
    };
  }
  const accountKey = loginRateKey(
    input.ip,
    (await accountId(db, input.identifier)) ?? input.identifier,
  );
  const byAccount = await hitRateLimit(db, clock, accountKey, config.loginRateLimit);
  if (!byAccount.allowed) {
    return {
      ok: false,
      reason: "limited",
      scope: "account",
      retryAfterSeconds: byAccount.retryAfterSeconds,
    };
  }
  const user = await authenticate(db, input.identifier, input.password);
  if (!user) return { ok: false, reason: "wrong" };
  await resetRateLimit(db, accountKey);
  await refundRateLimit(db, ipKey);
  return { ok: true, user };
}

/** The id of the account a username or e-mail names (case-insensitively), or null. */
async function accountId(db: Db, identifier: string): Promise<number | null> {
  const id = identifier.trim();
  if (id.length === 0 || id.length > 254 || ANY_CONTROL.test(id)) return null;
  const rows = await queryRows<{ id: string | number }>(
    db,
    id.includes("@")
      ? sql`select id from ${users} where lower(${users.email}) = lower(${id})`
      : sql`select id from ${users} where lower(${users.username}) = lower(${id})`,
  );
  return rows[0] ? Number(rows[0].id) : null;
}
