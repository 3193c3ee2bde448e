import type { Config } from "./config.ts";

/*
 * The URLs of our own objects that the domain stores in rows: ActivityPub ids (a profile thing's
 * URL is its owner's actor id) and the pages they point people to. Made of the configured origin
 * alone (README: do not change ORIGIN once you federate). They live here, not in src/http/,
 * because the domain never imports the HTTP layer (docs/ARCHITECTURE.md). The URLs only surfaces
 * build (thing pages, the flattr confirmation, widgets, the API) are in src/http/urls.ts, which
 * re-exports these so a surface imports every URL from one place. Usernames match [A-Za-z0-9_];
 * encoded anyway.
 */

/** A username as one path segment. */
export const pathSegment = (username: string) => encodeURIComponent(username);

/**
 * An absolute path the URL parser would keep exactly as it is: one leading slash, only characters
 * it never percent-encodes, and no segment that starts with a dot or spells one (`%2e`), so no
 * dot segment to resolve. Most of our URLs are such paths.
 */
const PLAIN_PATH = /^(?!.*(\/\.|%2e))\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/i;

/**
 * `path` on this instance's origin. A plain path is joined to the origin as text: parsing a URL
 * cost ~3 µs, and a Mastodon Status names five or more of ours (ADR 0040); test/unit/urls.test.ts
 * holds the two ways equal.
 */
export const absoluteUrl = (config: Config, path: string): string =>
  PLAIN_PATH.test(path) ? config.origin.origin + path : new URL(path, config.origin).href;

/** Fedify's route of a user's actor (src/federation/actors.ts dispatches it). */
export const ACTOR_PATH_TEMPLATE = "/users/{identifier}" as const;

/** A user's ActivityPub actor, for servers (`/users/alice`); its id. */
export const actorPath = (username: string) => `/users/${pathSegment(username)}`;
export const actorUrl = (config: Config, username: string) =>
  absoluteUrl(config, actorPath(username));

/** The public HTML profile, for people (`/@alice`); an actor's `url`. */
export const profilePath = (username: string) => `/@${pathSegment(username)}`;
export const profileUrl = (config: Config, username: string) =>
  absoluteUrl(config, profilePath(username));

/** Fedify's routes of a user's inboxes and followers: follow rows store the inboxes. */
export const inboxUrl = (config: Config, username: string) =>
  absoluteUrl(config, `${actorPath(username)}/inbox`);
/** The instance actor (an `Application`): it signs settlement traffic. */
export const instanceActorUrl = (config: Config) => absoluteUrl(config, "/actor");
export const sharedInboxUrl = (config: Config) => absoluteUrl(config, "/inbox");
export const followersUrl = (config: Config, username: string) =>
  absoluteUrl(config, `${actorPath(username)}/followers`);

/** Fedify's route of a local post's `Note` (src/federation/notes.ts dispatches it). */
export const NOTE_PATH_TEMPLATE = "/users/{identifier}/posts/{id}" as const;

/** A local post's ActivityPub id, the `Note` (`/users/alice/posts/123`): its `uri`. */
export const notePath = (username: string, postId: bigint | string) =>
  `${actorPath(username)}/posts/${postId}`;
export const noteUrl = (config: Config, username: string, postId: bigint | string) =>
  absoluteUrl(config, notePath(username, postId));

/** A local post's HTML page, for people (`/@alice/posts/123`): its `url`. */
export const postPath = (username: string, postId: bigint | string) =>
  `${profilePath(username)}/posts/${postId}`;
export const postUrl = (config: Config, username: string, postId: bigint | string) =>
  absoluteUrl(config, postPath(username, postId));

/**
 * A one-time link to set a new password (src/accounts/password-resets.ts). Here because the CLI,
 * which prints it, does not import the HTTP layer; the page is src/web/pages/password-reset.tsx.
 */
export const passwordResetPath = (token: string) => `/reset-password/${encodeURIComponent(token)}`;
export const passwordResetUrl = (config: Config, token: string) =>
  absoluteUrl(config, passwordResetPath(token));

/**
 * A flattr's `Like` activity (`/flattrs/<like_id>`, the random flattrs.like_id): its id, which
 * settlement summaries' lines name.
 */
export const likePath = (likeId: string) => `/flattrs/${encodeURIComponent(likeId)}`;
export const likeUrl = (config: Config, likeId: string) => absoluteUrl(config, likePath(likeId));
/** The id of the `Add` that announces a verified claim to the peers (docs/PROTOCOL.md, "Claims"). */
export const claimAnnouncementUrl = (config: Config, claimId: number) =>
  absoluteUrl(config, `/claims/${claimId}/announcement`);

/**
 * A user's FEP-0ea0 payment link: flattr their profile (`/users/alice/flattr`). Here, not in
 * src/http/urls.ts, because verifying a page (src/flattr/verification.ts) looks for links to it.
 */
export const paymentLinkPath = (username: string) => `${actorPath(username)}/flattr`;
export const paymentLinkUrl = (config: Config, username: string) =>
  absoluteUrl(config, paymentLinkPath(username));

/**
 * A thing's page (`/things/42`); for registered web pages also the id of their ActivityPub
 * `Page` (src/federation/pages.ts), served there to ActivityPub clients. Here because a verified
 * page may link back to it (src/flattr/verification.ts).
 */
export const THING_PATH_TEMPLATE = "/things/{id}" as const;
export const thingPath = (thingId: number) => `/things/${thingId}`;
export const thingUrl = (config: Config, thingId: number) =>
  absoluteUrl(config, thingPath(thingId));
