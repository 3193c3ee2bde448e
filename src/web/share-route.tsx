import { profilePath } from "../http/urls.ts";
import { formatMoney } from "../money/format.ts";
import type { MyFlattr } from "../settlement/my-flattrs.ts";

/** The creator of a flattred thing: a local profile, or their profile on their own server. */
export function CreatorLink(props: { flattr: MyFlattr }) {
  const { owner } = props.flattr;
  if (!owner.username) return null;
  if (owner.url)
    return (
      <a href={owner.url} rel="nofollow noopener noreferrer ugc">
        @{owner.username}
      </a>
    );
  return <a href={profilePath(owner.username)}>@{owner.username}</a>;
}

/**
 * Where a flattr's share goes, in words: to the creator here, to the creator's Fediflattr server
 * (a peer, which pays them), or held for a creator on a server that does not speak Fediflattr
 * until they claim it.
 */
export function ShareRoute(props: { flattr: MyFlattr; currency: string; timeZone: string }) {
  const { creator, status } = props.flattr;
  const text =
    status !== null
      ? statusText(props.flattr, props.currency, props.timeZone)
      : creator.kind === "local"
        ? "to the creator here"
        : creator.kind === "peer"
          ? `to their server, ${creator.host}`
          : "held until they claim it";
  return (
    <span
      data-creator-kind={creator.kind}
      data-status={status ?? undefined}
      title={creator.frozen ? "fixed by the close" : undefined}
    >
      {text}
    </span>
  );
}

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

/** What became of a closed period's share (settlement/my-flattrs.ts's FlattrStatus), in words. */
function statusText(f: MyFlattr, currency: string, timeZone: string): string {
  const who = f.owner.username ? `@${f.owner.username}` : "the creator";
  switch (f.status) {
    case "paid":
      return f.creator.kind === "local" ? "paid to the creator here" : `paid to ${who}`;
    case "in_transit":
      return `on its way to ${who} through their server, ${f.creator.host ?? "a peer"}`;
    case "awaiting":
      return `waits until ${f.creator.host ?? "their server"} is admitted here`;
    case "held":
      return `${formatMoney(f.value, currency)} held for ${who} until claimed; returns to you on ${f.returnsAt ? day(f.returnsAt, timeZone) : "the end of the hold"} if not`;
    case "returned":
      return "returned to your wallet (never claimed)";
    default:
      return "";
  }
}
