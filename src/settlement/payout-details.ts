import { eq } from "drizzle-orm";
import { electronicFormatIBAN, isSEPACountry, isValidBIC, isValidIBAN } from "ibantools";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { payoutDetails } from "../db/schema/payouts.ts";
import { ok, type Result, refused } from "../errors.ts";
import { PayoutError } from "./payout-errors.ts";

/*
 * Where a person is paid: account holder, IBAN and (optional) BIC, checked with ibantools (the
 * IBAN's country format and mod-97 check digits, the BIC's form and that its country is the
 * IBAN's). Payouts go out as SEPA credit transfers, so the IBAN must be of a SEPA country.
 */

export interface PayoutDetails {
  holder: string;
  /** Electronic format (no spaces, upper case). */
  iban: string;
  /** "" when not given. */
  bic: string;
  updatedAt: Date;
}

export interface PayoutDetailsInput {
  holder: string;
  iban: string;
  bic?: string | undefined;
}

/** SEPA allows 70 characters for a name; Latin letters, digits and a little punctuation. */
const MAX_HOLDER = 70;

export function checkPayoutDetails(
  input: PayoutDetailsInput,
): Result<Omit<PayoutDetails, "updatedAt">, PayoutError> {
  const holder = input.holder.trim().replace(/\s+/g, " ");
  if (holder === "")
    return refused(new PayoutError("invalid_holder", "Enter the name of the account holder."));
  if ([...holder].length > MAX_HOLDER)
    return refused(
      new PayoutError(
        "invalid_holder",
        `The account holder's name can be at most ${MAX_HOLDER} characters (the bank's limit).`,
      ),
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
  if (/[\u0000-\u001f\u007f]/.test(holder))
    return refused(
      new PayoutError("invalid_holder", "The account holder's name has control characters."),
    );
  const iban = electronicFormatIBAN(input.iban) ?? "";
  if (!isValidIBAN(iban))
    return refused(
      new PayoutError(
        "invalid_iban",
        `"${input.iban.trim().slice(0, 50)}" is not a valid IBAN: check it against your bank statement.`,
      ),
    );
  if (!isSEPACountry(iban.slice(0, 2)))
    return refused(
      new PayoutError(
        "invalid_iban",
        `Payouts are SEPA credit transfers, and ${iban.slice(0, 2)} is not in the SEPA area.`,
      ),
    );
  const bic = (input.bic ?? "").replace(/\s+/g, "").toUpperCase();
  if (bic !== "" && !isValidBIC(bic))
    return refused(
      new PayoutError(
        "invalid_bic",
        `"${bic.slice(0, 20)}" is not a valid BIC (8 or 11 characters).`,
      ),
    );
  if (bic !== "" && bic.slice(4, 6) !== iban.slice(0, 2))
    return refused(
      new PayoutError(
        "invalid_bic",
        `The BIC ${bic} is of another country than the IBAN (${iban.slice(0, 2)}): check both.`,
      ),
    );
  return ok({ holder, iban, bic });
}

export async function getPayoutDetails(db: Db, userId: number): Promise<PayoutDetails | null> {
  const [row] = await db.select().from(payoutDetails).where(eq(payoutDetails.userId, userId));
  return row
    ? { holder: row.holder, iban: row.iban, bic: row.bic, updatedAt: row.updatedAt }
    : null;
}

/** Saves (or replaces) a person's payout details. Requests made before keep the old ones. */
export async function setPayoutDetails(
  db: Db,
  clock: Clock,
  userId: number,
  input: PayoutDetailsInput,
): Promise<Result<PayoutDetails, PayoutError>> {
  const checked = checkPayoutDetails(input);
  if (!checked.ok) return checked;
  const updatedAt = clock.now();
  const values = { ...checked.value, updatedAt };
  await db
    .insert(payoutDetails)
    .values({ userId, ...values })
    .onConflictDoUpdate({ target: payoutDetails.userId, set: values });
  return ok(values);
}
