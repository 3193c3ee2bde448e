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

/** `path` on this instance's origin. */
export const absoluteUrl = (config: Config, path: string) => new URL(path, config.origin).href;

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
