import { profilePath } from "../http/urls.ts";
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
export function ShareRoute(props: { flattr: MyFlattr }) {
  const { creator } = props.flattr;
  const text =
    creator.kind === "local"
      ? "to the creator here"
      : creator.kind === "peer"
        ? `to their server, ${creator.host}`
        : "held until they claim it";
  return (
    <span
      data-creator-kind={creator.kind}
      title={creator.frozen ? "fixed by the close" : undefined}
    >
      {text}
    </span>
  );
}
