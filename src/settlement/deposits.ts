import { findUserById, findUserByUsername, type User } from "../accounts/users.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { ok, type Result, refused } from "../errors.ts";
import {
  balanceOf,
  DepositError,
  describeDeposit,
  IdempotencyConflictError,
  normalizeDepositReference,
  parseTransferReference,
  recordedBankDeposit,
  walletAccount,
} from "../ledger/index.ts";
import { formatMoney } from "../money/format.ts";
import { bankTransferProvider } from "./providers/bank-transfer.ts";
import { creditPayment } from "./providers/credit.ts";

/*
 * Recording a received bank transfer: the one door the admin page (/admin/deposits) and
 * `fediflattr deposit` go through, so both accept the same inputs and word every refusal the
 * same way. It is how the bank-transfer payment provider (providers/bank-transfer.ts, whose
 * top-up box the wallet page shows) confirms a payment: credited through creditPayment as that
 * provider's.
 */

export interface BankDepositInput {
  /** Whose wallet: a username (with or without @) or the user's transfer reference FF-XXXX-XXXX. */
  payee: string;
  /** Minor units of config.currency, > 0 (surfaces parse the decimal). */
  amount: bigint;
  /** The bank's own id of this one payment, from the statement. */
  reference: string;
  /** The admin confirmed an amount above config.depositConfirmAbove. */
  confirmLarge?: boolean;
}

export interface BankDepositRecorded {
  entryId: number;
  /** The same payment had been recorded before: nothing changed, this is that entry. */
  replayed: boolean;
  user: { id: number; username: string };
  amount: bigint;
  currency: string;
  /** The reference as recorded: for a replay, the first recording's spelling. */
  reference: string;
  walletBalance: bigint;
}

const money = (minor: bigint, currency: string) => formatMoney(minor, currency);

/** The user a transfer names: a personal FF- reference, or a username (with or without @). */
async function findPayee(db: Db, payee: string): Promise<User | null> {
  const who = payee.trim();
  const byReference = parseTransferReference(who);
  if (byReference !== null) return findUserById(db, byReference);
  if (/^ff[\s-]/i.test(who)) return null; // a mistyped reference is not a username
  return findUserByUsername(db, who.replace(/^@/, ""));
}

/** "€10.00 to @alice (entry #12)" for an entry that recorded a deposit. */
async function describeEntry(db: Db, entryId: number): Promise<string> {
  const d = await describeDeposit(db, entryId);
  if (!d) return `entry #${entryId}`;
  const user = d.userId === null ? null : await findUserById(db, d.userId);
  const to = user ? `@${user.username}` : `the wallet of user ${d.userId}`;
  return `${money(d.amount, d.currency)} to ${to} (entry #${entryId})`;
}

async function conflict(db: Db, reference: string, entryId: number): Promise<DepositError> {
  const earlier = await describeDeposit(db, entryId);
  const recorded = earlier?.reference ?? reference;
  const spelled =
    recorded === reference
      ? `The bank reference ${reference} was`
      : `The bank reference ${reference} is the same as ${recorded} (case, spaces and dashes do not count), which was`;
  return new DepositError(
    "reference_conflict",
    `${spelled} already recorded for ${await describeEntry(db, entryId)}. Nothing was ` +
      "recorded: if that was a mistake, reverse that entry; if this is another payment, use its " +
      "own reference.",
  );
}

function confirmationRequired(config: Config, amount: bigint): DepositError {
  return new DepositError(
    "confirmation_required",
    `${money(amount, config.currency)} is more than ${money(config.depositConfirmAbove, config.currency)}, ` +
      "above which a deposit must be confirmed: check the amount on the bank statement and " +
      "confirm it. Nothing was recorded.",
  );
}

/**
 * Credits a received bank transfer to the wallet of the user it names, once per payment: the
 * same reference (compared without case, spaces and dashes, also against deposits recorded
 * before that rule) with the same user and amount is a replay answering the original entry;
 * with anything else it is refused (`reference_conflict`) naming what it was recorded for. A new
 * amount above `config.depositConfirmAbove` needs `confirmLarge` (`confirmation_required`).
 * Other refusals: `invalid_amount`, `invalid_reference`, `personal_reference`,
 * `payee_not_found`. Nothing is written when it refuses.
 */
export async function recordBankDeposit(
  db: Db,
  config: Config,
  input: BankDepositInput,
): Promise<Result<BankDepositRecorded, DepositError>> {
  const { currency } = config;
  if (input.amount <= 0n)
    return refused(new DepositError("invalid_amount", "A deposit must be a positive amount."));
  let reference: string;
  try {
    reference = normalizeDepositReference(input.reference);
  } catch (e) {
    if (e instanceof DepositError) return refused(e);
    throw e;
  }
  const user = await findPayee(db, input.payee);
  if (!user)
    return refused(
      new DepositError(
        "payee_not_found",
        `There is no user with the username or transfer reference "${input.payee.trim().slice(0, 100)}": ` +
          "check the reference on the bank statement. Nothing was recorded.",
      ),
    );
  const bank = bankTransferProvider(config.bank);
  const payment = { userId: user.id, amount: input.amount, reference, currency };
  let result: { entryId: number; replayed: boolean };
  try {
    if (input.amount > config.depositConfirmAbove && !input.confirmLarge) {
      // Only a new amount needs the confirmation: the same payment again is still a replay (it
      // changes nothing), so an admin retyping a recorded transfer is told so, not asked.
      const earlier = await recordedBankDeposit(db, payment);
      if (!earlier) return refused(confirmationRequired(config, input.amount));
      result = earlier;
    } else {
      result = await creditPayment(db, { provider: bank.id, ...payment });
    }
  } catch (e) {
    if (e instanceof DepositError) return refused(e);
    if (e instanceof IdempotencyConflictError)
      return refused(await conflict(db, reference, e.existingEntryId));
    throw e;
  }
  const { entryId, replayed } = result;
  const recorded = replayed ? await describeDeposit(db, entryId) : null;
  return ok({
    entryId,
    replayed,
    user: { id: user.id, username: user.username },
    amount: input.amount,
    currency,
    reference: recorded?.reference || reference,
    walletBalance: await balanceOf(db, walletAccount(user.id), currency),
  });
}
