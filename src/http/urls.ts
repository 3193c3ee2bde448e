import type { Config } from "../config/config.ts";

/*
 * Every public URL of the instance, built in one place: pages link with the paths, API answers,
 * federation documents and embed snippets use the absolute forms. Pure (only the configured
 * origin), so the domain may use it too where it stores one of our own URLs (a profile thing's
 * URL is its owner's actor id). Usernames match [A-Za-z0-9_]; they are encoded anyway.
 */

const name = (username: string) => encodeURIComponent(username);
const absolute = (config: Config, path: string) => new URL(path, config.origin).href;

/** The public HTML profile, for people (`/@alice`). */
export const profilePath = (username: string) => `/@${name(username)}`;
export const profileUrl = (config: Config, username: string) =>
  absolute(config, profilePath(username));

/** Fedify's route of a user's actor (src/federation/actors.ts dispatches it). */
export const ACTOR_PATH_TEMPLATE = "/users/{identifier}" as const;

/** A user's ActivityPub actor, for servers (`/users/alice`); its id. */
export const actorPath = (username: string) => `/users/${name(username)}`;
export const actorUrl = (config: Config, username: string) => absolute(config, actorPath(username));

/** Fedify's routes of a user's inboxes and followers (src/federation/inbox.ts, collections.ts). */
export const inboxUrl = (config: Config, username: string) =>
  absolute(config, `${actorPath(username)}/inbox`);
export const sharedInboxUrl = (config: Config) => absolute(config, "/inbox");
export const followersUrl = (config: Config, username: string) =>
  absolute(config, `${actorPath(username)}/followers`);

/** Fedify's route of a local post's `Note` (src/federation/notes.ts dispatches it). */
export const NOTE_PATH_TEMPLATE = "/users/{identifier}/posts/{id}" as const;

/** A local post's ActivityPub id, the `Note` (`/users/alice/posts/123`): its `uri`. */
export const notePath = (username: string, postId: bigint | string) =>
  `${actorPath(username)}/posts/${postId}`;
export const noteUrl = (config: Config, username: string, postId: bigint | string) =>
  absolute(config, notePath(username, postId));

/** A local post's HTML page, for people (`/@alice/posts/123`): its `url`. */
export const postPath = (username: string, postId: bigint | string) =>
  `${profilePath(username)}/posts/${postId}`;
export const postUrl = (config: Config, username: string, postId: bigint | string) =>
  absolute(config, postPath(username, postId));
/** Where its author edits it. */
export const postEditPath = (postId: bigint | string) => `/posts/${postId}/edit`;

/** A user's FEP-0ea0 payment link: flattr their profile (`/users/alice/flattr`). */
export const paymentLinkPath = (username: string) => `${actorPath(username)}/flattr`;
export const paymentLinkUrl = (config: Config, username: string) =>
  absolute(config, paymentLinkPath(username));

/**
 * A thing's page (`/things/42`); for registered web pages also the id of their ActivityPub
 * `Page` (src/federation/pages.ts), served there to ActivityPub clients.
 */
export const THING_PATH_TEMPLATE = "/things/{id}" as const;
export const thingPath = (thingId: number) => `/things/${thingId}`;
export const thingUrl = (config: Config, thingId: number) => absolute(config, thingPath(thingId));

/** Where every button, badge and link of a thing leads: its flattr confirmation page. */
export const flattrPath = (thingId: number) => `${thingPath(thingId)}/flattr`;
export const flattrUrl = (config: Config, thingId: number) => absolute(config, flattrPath(thingId));

/** The counter widget a site frames, and the badge image. */
export const widgetUrl = (config: Config, thingId: number, compact = false) =>
  absolute(config, `/button/${thingId}${compact ? "?compact=1" : ""}`);
export const userWidgetUrl = (config: Config, username: string) =>
  absolute(config, `/button/users/${name(username)}`);
export const badgeUrl = (config: Config, thingId: number, plain = false) =>
  absolute(config, `/badge/${thingId}.svg${plain ? "?plain=1" : ""}`);

/** An auto-submit link: the first confirmed flattr registers `url` as `username`'s thing. */
export function submitUrl(
  config: Config,
  s: { username: string; url: string; title: string; description?: string },
): string {
  const q = new URLSearchParams({ user: s.username, url: s.url, title: s.title });
  if (s.description) q.set("description", s.description);
  return absolute(config, `/submit?${q}`);
}

/** Where src/app.ts mounts the REST API. */
export const API_BASE = "/api/flattr/v1";
export const apiBaseUrl = (config: Config) => absolute(config, API_BASE);
/** A thing as a REST API resource. */
export const apiThingUrl = (config: Config, thingId: number) =>
  absolute(config, `${API_BASE}/things/${thingId}`);
/** A post as a REST API resource. */
export const apiPostUrl = (config: Config, postId: bigint | string) =>
  absolute(config, `${API_BASE}/posts/${postId}`);
