import { type SQL, sql } from "drizzle-orm";

/*
 * Ledger account names. One account per (name, currency). The database enforces the same
 * naming and sign rules (CHECKs in src/db/schema/ledger.ts); these helpers keep code from
 * spelling names by hand. Set-based SQL (the close, the read models) builds and parses names
 * with the *Sql twins at the end of this file, never with its own 'wallet:' || … .
 */

type Id = number | bigint;

function id(userId: Id): string {
  const s = String(userId);
  if (!/^[1-9][0-9]*$/.test(s)) throw new RangeError(`not a user id: ${s}`);
  return s;
}

// Not exported: nothing outside this file spells a prefix.
const WALLET_PREFIX = "wallet:";
const EARNINGS_PREFIX = "earnings:";
const CLEARING_PREFIX = "clearing:";

/** A user's prepaid balance. Never negative. */
export const walletAccount = (userId: Id): string => `${WALLET_PREFIX}${id(userId)}`;
/** What the instance owes a local creator. Never negative. */
export const earningsAccount = (userId: Id): string => `${EARNINGS_PREFIX}${id(userId)}`;
/** What a peer instance owes us (negative) or we owe it (positive), by its host[:port]. */
export function clearingAccount(host: string): string {
  const h = host.toLowerCase();
  if (!/^[a-z0-9.:[\]-]+$/.test(h)) throw new RangeError(`not a host: ${host}`);
  return `${CLEARING_PREFIX}${h}`;
}
/** Instance revenue. Never negative. */
export const FEES = "fees";
/** Reserved for unclaimed creators until they claim or the hold period ends. Never negative. */
export const PLEDGES = "pledges";
/** Counter-account of money entering (goes negative by the total deposited). */
export const DEPOSITS = "deposits";
/** Counter-account of money leaving (positive by the total paid out). */
export const PAYOUTS = "payouts";
/**
 * Approved payouts (creators' earnings, withdrawn wallet money) reserved until the bank transfer
 * is confirmed (→ payouts) or fails (→ back where it came from). Never negative.
 */
export const PENDING_PAYOUTS = "pending_payouts";

const NAME =
  /^(?:(?:wallet|earnings):[1-9][0-9]*|fees|pledges|deposits|payouts|pending_payouts|clearing:[a-z0-9.:[\]-]+)$/;

export function isAccountName(name: string): boolean {
  return NAME.test(name);
}

/** Mirrors the database's rule: only money crossing the instance boundary may go negative. */
export function mayGoNegative(name: string): boolean {
  return name === DEPOSITS || name === PAYOUTS || name.startsWith(CLEARING_PREFIX);
}

/** wallet:<id> or earnings:<id>, the id captured: one pattern for TypeScript and SQL. */
const USER_ACCOUNT = "^(?:wallet|earnings):([1-9][0-9]*)$";
const USER_ACCOUNT_RE = new RegExp(USER_ACCOUNT);

/** The user id in wallet:<id> / earnings:<id>, or null. */
export function accountUserId(name: string): number | null {
  const m = USER_ACCOUNT_RE.exec(name);
  return m ? Number(m[1]) : null;
}

// --- The same names in SQL ------------------------------------------------------------------
// Fragments for set-based statements. Literals come only from the constants above (no quotes in
// them), so they are inlined as SQL text: the close's statement stays one fixed text.

const literal = (text: string): SQL => sql.raw(`'${text}'`);

/** walletAccount() of an int8 expression: 'wallet:' || id. */
export function walletAccountSql(userId: SQL): SQL {
  return sql`(${literal(WALLET_PREFIX)} || (${userId})::text)`;
}

/** earningsAccount() of an int8 expression: 'earnings:' || id. */
export function earningsAccountSql(userId: SQL): SQL {
  return sql`(${literal(EARNINGS_PREFIX)} || (${userId})::text)`;
}

/** A fixed account (FEES, PLEDGES, DEPOSITS, PAYOUTS, PENDING_PAYOUTS) as an SQL literal. */
export function accountSql(
  name: typeof FEES | typeof PLEDGES | typeof DEPOSITS | typeof PAYOUTS | typeof PENDING_PAYOUTS,
): SQL {
  return literal(name);
}

/** True for wallet:<id> accounts, in SQL. */
export function isWalletAccountSql(account: SQL): SQL {
  return sql`(${account} like ${literal(`${WALLET_PREFIX}%`)})`;
}

/** accountUserId() in SQL: the int8 id of wallet:<id> / earnings:<id>, else NULL. */
export function accountUserIdSql(account: SQL): SQL {
  return sql`(substring(${account} from ${literal(USER_ACCOUNT)}))::int8`;
}

/** mayGoNegative() in SQL. */
export function mayGoNegativeSql(account: SQL): SQL {
  return sql`(${account} in (${literal(DEPOSITS)}, ${literal(PAYOUTS)}) or ${account} like ${literal(`${CLEARING_PREFIX}%`)})`;
}

/** clearingAccount() of a host expression (lowercase host[:port], as peers store it). */
export function clearingAccountSql(host: SQL): SQL {
  return sql`(${literal(CLEARING_PREFIX)} || (${host}))`;
}

/**
 * The account a flattr's share is credited to: a local creator's earnings; for a remote creator,
 * by the route the close froze for it (src/settlement/close.ts): `peer` → clearing:<peer host>,
 * `unclaimed` → pledges. An unknown kind or a remote creator without a route yields NULL, which
 * the postings' NOT NULL refuses: the batch fails loudly instead of paying the wrong account.
 */
export function creatorAccountSql(ownerKind: SQL, ownerId: SQL, route: SQL, peerHost: SQL): SQL {
  return sql`(case when ${ownerKind} = 'local' then ${earningsAccountSql(ownerId)}
                   when ${ownerKind} = 'remote' and ${route} = 'peer' then ${clearingAccountSql(peerHost)}
                   when ${ownerKind} = 'remote' and ${route} = 'unclaimed' then ${literal(PLEDGES)}
              end)`;
}
