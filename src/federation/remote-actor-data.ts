import type { DocumentLoader } from "@fedify/fedify";
import { type Actor, getActorTypeName, Link, PropertyValue } from "@fedify/vocab";
import { hostOf } from "../peers/host.ts";
import type { RemoteActorCounts, RemoteActorData } from "../social/remote-actors.ts";

/*
 * The one adapter from a Fedify actor to the remote-actor cache's plain data
 * (src/social/remote-actors.ts): the resolver's look-ups, the actor cache, inbound Likes, Notes
 * and profile Updates all store actors through it, so they agree on handles, URLs and types.
 * No Fedify types go past this module.
 */

const text = (v: unknown): string => (v == null ? "" : String(v));

/** An http(s) address of a URL or Link, else null (never javascript: or data:). */
function href(v: URL | Link | null | undefined): string | null {
  if (v == null) return null;
  const u = v instanceof Link ? v.href : v;
  return u && hostOf(u) !== null ? u.href : null;
}

export interface ActorDataOptions {
  /**
   * `user@host` as WebFinger confirmed it; without one, `preferredUsername@host` of the actor's
   * own origin (when the username is a plain name).
   */
  handle?: string | null;
  /**
   * The loader for the avatar and the payment link when they are not embedded (the instance
   * actor's signed loader). Without one nothing is fetched: the avatar is read by id, the
   * payment link only when embedded.
   */
  documentLoader?: DocumentLoader;
}

/** What the remote-actor cache stores of a fetched or delivered actor. */
export async function remoteActorDataOf(
  actor: Actor,
  options: ActorDataOptions = {},
): Promise<RemoteActorData> {
  if (!actor.id) throw new TypeError("an actor without an id");
  const uri = actor.id.href;
  const { documentLoader } = options;
  const username = text(actor.preferredUsername).trim();
  const noFetch: DocumentLoader = (url) => Promise.reject(new Error(`not fetched: ${url}`));
  const loader = documentLoader ?? noFetch;
  let iconUrl: string | null = null;
  if (documentLoader) {
    try {
      // An avatar is display only: an embedded image may live on a media host.
      const icon = await actor.getIcon({ documentLoader, crossOrigin: "trust" });
      iconUrl = href(icon?.url);
    } catch {}
  } else {
    iconUrl = href(actor.iconId);
  }
  const counts = documentLoader ? await collectionCounts(actor, documentLoader) : undefined;
  let paymentUrl: string | null = null;
  // Profile fields: what the proof of a claim reads (src/settlement/claims/proof.ts).
  const fields: { name: string; value: string }[] = [];
  try {
    for await (const a of actor.getAttachments({ documentLoader: loader, suppressError: true })) {
      if (a instanceof PropertyValue && fields.length < 50)
        fields.push({ name: text(a.name), value: text(a.value) });
      if (
        paymentUrl === null &&
        a instanceof Link &&
        (a.rel === "payment" || a.rels.includes("payment"))
      )
        paymentUrl = href(a.href);
    }
  } catch {}
  return {
    uri,
    type: getActorTypeName(actor),
    handle:
      options.handle ??
      (username && /^[^@\s/]+$/.test(username) ? `${username}@${hostOf(uri)}` : null),
    name: text(actor.name),
    summaryHtml: text(actor.summary),
    url: href(actor.url),
    iconUrl,
    inboxUrl: href(actor.inboxId),
    sharedInboxUrl: href(actor.endpoints?.sharedInbox),
    followersUrl: href(actor.followersId),
    paymentUrl,
    fields,
    ...(counts ? { counts } : {}),
  };
}

/**
 * The `totalItems` of the actor's followers, following and outbox collections, fetched at once
 * (Mastodon publishes them also when it hides the items). Only same-origin collections count:
 * another server cannot speak for this actor's numbers. A collection that is missing, fails or
 * publishes no total is null (unknown), never 0.
 */
async function collectionCounts(
  actor: Actor,
  documentLoader: DocumentLoader,
): Promise<RemoteActorCounts> {
  const options = { documentLoader, suppressError: true, crossOrigin: "ignore" } as const;
  const total = async (get: () => Promise<{ totalItems: number | null } | null>) => {
    try {
      return (await get())?.totalItems ?? null;
    } catch {
      return null;
    }
  };
  const [followers, following, statuses] = await Promise.all([
    actor.followersId ? total(() => actor.getFollowers(options)) : null,
    actor.followingId ? total(() => actor.getFollowing(options)) : null,
    actor.outboxId ? total(() => actor.getOutbox(options)) : null,
  ]);
  return { followers, following, statuses };
}
