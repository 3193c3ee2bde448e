import type { ThingOwner } from "../flattr/resolve-owner.ts";

/*
 * How pages show who a thing belongs to and where a flattr's money goes: a local user (their
 * profile here), a creator on a peer ("paid through <host>"), or an unclaimed creator ("held for
 * them until they claim it"). Used by the thing page and the flattr confirmation.
 */

/** The owner's name and handle, linking to their profile (on their own server if remote). */
export function OwnerLink(props: { owner: ThingOwner }) {
  const { owner } = props;
  // Local users go by @name here, as everywhere on this instance; remote ones by their handle.
  const user = owner.handle.split("@")[0] ?? "";
  const at = owner.kind === "local" ? `@${user}` : `@${owner.handle}`;
  const label = owner.name && owner.name !== user ? `${owner.name} (${at})` : at;
  if (owner.kind === "local") return <a href={new URL(owner.profileUrl).pathname}>{label}</a>;
  return (
    <a href={owner.profileUrl} rel="nofollow noopener noreferrer ugc" data-testid="owner-link">
      {label}
    </a>
  );
}

/** One sentence: where this owner's share of a flattr goes. */
export function PayeeNote(props: { owner: ThingOwner }) {
  const { owner } = props;
  switch (owner.kind) {
    case "local":
      return (
        <span data-testid="payee" data-payee="local">
          Paid to their earnings on this instance.
        </span>
      );
    case "peer":
      return (
        <span data-testid="payee" data-payee="peer">
          Paid through {owner.host}, a Flattr server: your share goes there at the end of the month.
        </span>
      );
    case "unclaimed":
      return (
        <span data-testid="payee" data-payee="unclaimed">
          {owner.host} is not a Flattr server, so your share is held for them until they claim it
          (by proving the account is theirs); if they never do, it comes back to your wallet.
        </span>
      );
  }
}
