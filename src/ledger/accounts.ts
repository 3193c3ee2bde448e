/*
 * Ledger account names. One account per (name, currency). The database enforces the same
 * naming and sign rules (CHECKs in src/db/schema/ledger.ts); these helpers keep code from
 * spelling names by hand.
 */

type Id = number | bigint;

function id(userId: Id): string {
  const s = String(userId);
  if (!/^[1-9][0-9]*$/.test(s)) throw new RangeError(`not a user id: ${s}`);
  return s;
}

/** A user's prepaid balance. Never negative. */
export const walletAccount = (userId: Id): string => `wallet:${id(userId)}`;
/** What the instance owes a local creator. Never negative. */
export const earningsAccount = (userId: Id): string => `earnings:${id(userId)}`;
/** What a peer instance owes us (negative) or we owe it (positive), by its host[:port]. */
export function clearingAccount(host: string): string {
  const h = host.toLowerCase();
  if (!/^[a-z0-9.:[\]-]+$/.test(h)) throw new RangeError(`not a host: ${host}`);
  return `clearing:${h}`;
}
/** Instance revenue. Never negative. */
export const FEES = "fees";
/** Reserved for unclaimed creators until they claim or the hold period ends. Never negative. */
export const PLEDGES = "pledges";
/** Counter-account of money entering (goes negative by the total deposited). */
export const DEPOSITS = "deposits";
/** Counter-account of money leaving (positive by the total paid out). */
export const PAYOUTS = "payouts";

const NAME =
  /^(?:(?:wallet|earnings):[1-9][0-9]*|fees|pledges|deposits|payouts|clearing:[a-z0-9.:[\]-]+)$/;

export function isAccountName(name: string): boolean {
  return NAME.test(name);
}

/** Mirrors the database's rule: only money crossing the instance boundary may go negative. */
export function mayGoNegative(name: string): boolean {
  return name === DEPOSITS || name === PAYOUTS || name.startsWith("clearing:");
}

/** The user id in wallet:<id> / earnings:<id>, or null. */
export function accountUserId(name: string): number | null {
  const m = /^(?:wallet|earnings):([1-9][0-9]*)$/.exec(name);
  return m ? Number(m[1]) : null;
}
