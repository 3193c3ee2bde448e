import type { TopUpStart } from "../../settlement/providers/provider.ts";

/**
 * A payment provider's top-up box (src/settlement/providers/): for a transfer, where to send it,
 * if the instance said, and the user's personal reference that lets the administrator match the
 * transfer to the wallet.
 */
export function TopUpBox(props: { start: TopUpStart }) {
  const { reference, payTo } = props.start;
  return (
    <div class="transfer" data-testid="transfer">
      <p>
        {payTo ? (
          <>
            Transfer any amount to <span class="bio">{payTo}</span> with this reference:
          </>
        ) : (
          <>
            Transfer any amount to the bank account of this instance (ask its administrator for the
            details) with this reference:
          </>
        )}
      </p>
      <p class="reference" data-testid="transfer-reference">
        {reference}
      </p>
      <p class="muted">
        Always use exactly this reference: it is how your transfer finds your wallet. The money
        shows up here once the administrator has recorded it, usually within a few days.
      </p>
    </div>
  );
}
