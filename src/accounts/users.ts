import { and, eq, isNull, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { queryRows } from "../db/client.ts";
import { users } from "../db/schema/index.ts";
import { AccountError, uniqueViolation } from "./errors.ts";
import { hashPassword, needsRehash, verifyDummyPassword, verifyPassword } from "./passwords.ts";
import {
  ANY_CONTROL,
  USERNAME_PATTERN,
  validateEmail,
  validatePassword,
  validateProfile,
  validateUsername,
} from "./validation.ts";

export interface User {
  id: number;
  username: string;
  email: string;
  displayName: string;
  bio: string;
  isAdmin: boolean;
  createdAt: Date;
}

export interface NewUser {
  username: string;
  email: string;
  password: string;
  isAdmin?: boolean;
  displayName?: string;
  /** The operator (CLI) may take reserved names such as "admin"; the sign-up form may not. */
  allowReserved?: boolean;
}

/** Validated input with the password already hashed: hash before taking locks, it is slow. */
export interface PreparedUser {
  username: string;
  email: string;
  passwordHash: string;
  isAdmin: boolean;
  displayName: string;
}

const columns = {
  id: users.id,
  username: users.username,
  email: users.email,
  displayName: users.displayName,
  bio: users.bio,
  isAdmin: users.isAdmin,
  createdAt: users.createdAt,
};

/** Checks every field (the first problem is thrown as an AccountError naming its field). */
export function validateNewUser(input: NewUser): NewUser {
  return {
    username: validateUsername(input.username, { allowReserved: input.allowReserved }),
    email: validateEmail(input.email),
    password: validatePassword(input.password),
    displayName: validateProfile({ displayName: input.displayName ?? "", bio: "" }).displayName,
    isAdmin: input.isAdmin ?? false,
  };
}

/** Validates and hashes the password. */
export async function prepareUser(input: NewUser): Promise<PreparedUser> {
  const valid = validateNewUser(input);
  return {
    username: valid.username,
    email: valid.email,
    passwordHash: await hashPassword(valid.password),
    isAdmin: valid.isAdmin ?? false,
    displayName: valid.displayName ?? "",
  };
}

/**
 * Inserts a prepared user. Names are unique case-insensitively (unique indexes on lower()); the
 * pre-check gives the friendly message, the index settles races between concurrent sign-ups.
 */
export async function insertUser(db: Db, clock: Clock, user: PreparedUser): Promise<User> {
  const clash = await queryRows<{ username_taken: boolean; email_taken: boolean }>(
    db,
    sql`select
      exists(select 1 from ${users} where lower(${users.username}) = lower(${user.username})) as username_taken,
      exists(select 1 from ${users} where lower(${users.email}) = lower(${user.email})) as email_taken`,
  );
  if (clash[0]?.username_taken) throw usernameTaken(user.username);
  if (clash[0]?.email_taken) throw emailTaken();
  try {
    const [row] = await db
      .insert(users)
      .values({ ...user, createdAt: clock.now() })
      .returning(columns);
    return row!;
  } catch (e) {
    const violation = uniqueViolation(e);
    if (violation?.constraint === "users_email_lower") throw emailTaken();
    if (violation) throw usernameTaken(user.username);
    throw e;
  }
}

function usernameTaken(username: string): AccountError {
  return new AccountError("taken", `The username "${username}" is already taken.`, "username");
}

function emailTaken(): AccountError {
  return new AccountError("taken", "An account with this e-mail address already exists.", "email");
}

export async function createUser(db: Db, clock: Clock, input: NewUser): Promise<User> {
  return insertUser(db, clock, await prepareUser(input));
}

/** A live account (deleted ones are not found, here and by username). */
export async function findUserById(db: Db, id: number): Promise<User | null> {
  const [row] = await db
    .select(columns)
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletedAt)));
  return row ?? null;
}

/** The first administrator (the instance's contact), or null before setup. */
export async function findFirstAdmin(db: Db): Promise<User | null> {
  const [row] = await db
    .select(columns)
    .from(users)
    .where(eq(users.isAdmin, true))
    .orderBy(users.id)
    .limit(1);
  return row ?? null;
}

/** Case-insensitive, as the uniqueness is. */
export async function findUserByUsername(db: Db, username: string): Promise<User | null> {
  if (!USERNAME_PATTERN.test(username)) return null;
  const [row] = await db
    .select(columns)
    .from(users)
    .where(and(sql`lower(${users.username}) = lower(${username})`, isNull(users.deletedAt)));
  return row ?? null;
}

/**
 * Checks a login: `identifier` is a username or an e-mail address. Unknown users cost the same
 * time as a wrong password, so timing does not reveal which accounts exist.
 */
export async function authenticate(
  db: Db,
  identifier: string,
  password: string,
): Promise<User | null> {
  const id = identifier.trim();
  const byEmail = id.includes("@");
  const [row] =
    id.length === 0 || id.length > 254 || ANY_CONTROL.test(id)
      ? []
      : await db
          .select({ ...columns, passwordHash: users.passwordHash })
          .from(users)
          .where(
            and(
              byEmail
                ? sql`lower(${users.email}) = lower(${id})`
                : sql`lower(${users.username}) = lower(${id})`,
              isNull(users.deletedAt),
            ),
          );
  if (!row) return verifyDummyPassword(password).then(() => null);
  if (!(await verifyPassword(password, row.passwordHash))) return null;
  const { passwordHash, ...user } = row;
  if (needsRehash(passwordHash)) {
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(password) })
      .where(eq(users.id, user.id));
  }
  return user;
}

export async function updateProfile(
  db: Db,
  userId: number,
  input: { displayName: string; bio: string },
): Promise<User> {
  const profile = validateProfile(input);
  const [row] = await db.update(users).set(profile).where(eq(users.id, userId)).returning(columns);
  if (!row) throw new AccountError("not_found", "No such user.");
  return row;
}

export async function countUsers(db: Db): Promise<number> {
  const rows = await queryRows<{ n: number }>(db, sql`select count(*)::int4 as n from ${users}`);
  return rows[0]?.n ?? 0;
}
