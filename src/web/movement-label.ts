import { periodLabel } from "./money-ui.tsx";

/** A wallet movement in words: "Deposit (bank ref …)", "Flattrs of March 2026", "Reversal of …". */
export function movementLabel(
  kind: string,
  period: string | null,
  metadata: Record<string, unknown>,
): string {
  const ref = typeof metadata.reference === "string" ? metadata.reference : null;
  switch (kind) {
    case "deposit":
      return ref ? `Deposit, reference ${ref}` : "Deposit";
    case "close":
      return period ? `Flattrs of ${periodLabel(period)}` : "Month close";
    case "pledge_return": {
      const of = typeof metadata.from === "string" ? metadata.from : null;
      return of
        ? `Returned: your flattrs of ${periodLabel(of)} for creators who never claimed them`
        : "Returned: flattrs for creators who never claimed them";
    }
    case "payout_reserve":
      return metadata.source === "wallet"
        ? `Withdrawal #${metadata.payout} to your bank account`
        : `Payout #${metadata.payout} to your bank account`;
    case "payout_return":
      return `${metadata.source === "wallet" ? "Withdrawal" : "Payout"} #${metadata.payout} failed: returned`;
    case "reversal": {
      const of = typeof metadata.reversedKind === "string" ? metadata.reversedKind : "";
      const what = movementLabel(of, period, {});
      return `Reversal: ${of ? what.charAt(0).toLowerCase() + what.slice(1) : "correction"}`;
    }
    default:
      return kind.charAt(0).toUpperCase() + kind.slice(1).replace(/_/g, " ");
  }
}
