import type { Config } from "../../config/config.ts";

/**
 * How to top up by bank transfer (the manual flow Liberapay used): the instance's bank details,
 * if configured, and the user's personal reference that lets the administrator match the
 * transfer to the wallet.
 */
export function TransferBox(props: { reference: string; bankDetails: string | null }) {
  return (
    <div class="transfer" data-testid="transfer">
      <p>
        {props.bankDetails ? (
          <>
            Transfer any amount to <span class="bio">{props.bankDetails}</span> with this reference:
          </>
        ) : (
          <>
            Transfer any amount to the bank account of this instance (ask its administrator for the
            details) with this reference:
          </>
        )}
      </p>
      <p class="reference" data-testid="transfer-reference">
        {props.reference}
      </p>
      <p class="muted">
        Always use exactly this reference: it is how your transfer finds your wallet. The money
        shows up here once the administrator has recorded it, usually within a few days.
      </p>
    </div>
  );
}

/** "Account holder, IBAN DE89 3704 …" from the configuration, or null when none is set. */
export function bankDetails(config: Config): string | null {
  const { accountHolder, iban } = config.bank;
  const parts = [
    accountHolder,
    iban ? `IBAN ${iban.replace(/(.{4})(?=.)/g, "$1 ")}` : undefined,
  ].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(", ") : null;
}
