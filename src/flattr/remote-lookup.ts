import type { RemoteActorData } from "../social/remote-actors.ts";
import type { Visibility } from "../social/remote-statuses.ts";

/*
 * The port through which the resolver (resolve.ts) asks other servers about actors and objects.
 * The domain defines it and never sees ActivityPub libraries or HTTP; the federation adapter
 * (src/federation/lookup.ts) implements it with Fedify (WebFinger, the document loader signed by
 * the instance actor) and NodeInfo. Tests of the domain's decisions pass a fake.
 */

/** A flattrable object another server serves (a post, an article, a page). */
export interface RemoteObjectData {
  /** Its ActivityPub id (same origin as the document it was read from). */
  uri: string;
  /** ActivityStreams type, e.g. Note, Article, Page. */
  type: string;
  /** `note` for posts of any kind, `page` for a Page (a web page registered elsewhere). */
  kind: "note" | "page";
  /** The HTML page people open, if it names one. */
  url: string | null;
  /** The actor it is attributed to (its author). */
  attributedTo: string | null;
  /** Its `name` (articles, pages), plain text. */
  name: string | null;
  contentHtml: string;
  /** Content warning / summary, plain text. */
  summary: string;
  inReplyToUri: string | null;
  visibility: Visibility;
  publishedAt: Date | null;
  editedAt: Date | null;
}

/** Why a look-up found nothing usable. */
export type LookupFailure =
  /** The server answered that there is no such account or object (404, an unknown handle). */
  | { found: false; reason: "not_found"; detail: string }
  /** It was there and was deleted (410 Gone, a Tombstone). */
  | { found: false; reason: "gone"; detail: string }
  /** The server could not be reached or answered with an error or something unreadable. */
  | { found: false; reason: "unreachable"; detail: string }
  /** It is something, but not an actor or an object we flattr (a collection, an activity…). */
  | { found: false; reason: "not_flattrable"; detail: string }
  /** The server is blocked here (also when a redirect led there). */
  | { found: false; reason: "blocked"; detail: string };

export type Fetched =
  | { found: true; kind: "actor"; actor: RemoteActorData }
  | { found: true; kind: "object"; object: RemoteObjectData }
  | LookupFailure;

export interface RemoteLookup {
  /**
   * WebFinger: the ActivityPub id of `username@host`'s actor. The handle's server may delegate
   * to another host (the actor's id then has that host).
   */
  webFinger(
    username: string,
    host: string,
  ): Promise<{ found: true; actorUri: string } | LookupFailure>;
  /**
   * Fetches the document at `uri` now (never from a cache: this is how stale copies are
   * refreshed), signed by the instance actor. What comes back is what the document's own
   * origin says: a document cannot claim an id on another origin.
   */
  fetch(uri: string): Promise<Fetched>;
  /**
   * Whether `host` is a peer (speaks our protocol in our currency), as the peers table knows it,
   * reading its NodeInfo first when unknown or older than a day.
   */
  peer(host: string, scheme: "https" | "http"): Promise<{ speaksFlattr: boolean }>;
}
