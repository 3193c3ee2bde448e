import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { AccountError } from "./errors.ts";
import { claimInvite, normalizeInviteCode, recordInviteUse } from "./invites.ts";
import { hashPassword } from "./passwords.ts";
import { insertUser, type User, validateNewUser } from "./users.ts";

export interface SignUpInput {
  username: string;
  email: string;
  password: string;
  /** Required when `config.registration` is "invite"; ignored when "open". */
  inviteCode?: string;
}

/**
 * Registration through the public form, by `config.registration`: open, invite (one single-use
 * code per account, claimed in the same transaction that creates the user) or closed.
 */
export async function signUp(
  db: Db,
  clock: Clock,
  config: Config,
  input: SignUpInput,
): Promise<User> {
  if (config.registration === "closed") {
    throw new AccountError("registration_closed", "Sign-ups are closed on this instance.");
  }
  const valid = validateNewUser({ ...input, isAdmin: false, allowReserved: false });
  let code: string | null = null;
  if (config.registration === "invite") {
    if (!input.inviteCode?.trim()) {
      throw new AccountError(
        "invite_required",
        "Sign-ups on this instance need an invite code.",
        "invite",
      );
    }
    code = normalizeInviteCode(input.inviteCode);
    if (!code) throw new AccountError("invite_invalid", "This invite code is not valid.", "invite");
  }
  // Hash before the transaction: it is the slow part, and the invite row stays locked meanwhile.
  const passwordHash = await hashPassword(valid.password);
  return db.transaction(async (tx) => {
    if (code) await claimInvite(tx, clock, code);
    const user = await insertUser(tx, clock, {
      username: valid.username,
      email: valid.email,
      passwordHash,
      isAdmin: false,
      displayName: "",
    });
    if (code) await recordInviteUse(tx, code, user.id);
    return user;
  });
}
