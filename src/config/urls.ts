import type { Config } from "./config.ts";

/*
 * The URLs our own objects are known by to other servers: ActivityPub ids, made of the configured
 * origin alone (README: do not change ORIGIN once you federate). They live here, not in
 * src/http/, because the domain stores them (a profile thing's URL is its owner's actor id) and
 * the domain never imports the HTTP layer (docs/ARCHITECTURE.md). Pages, API answers and embed
 * snippets, which only surfaces build, are in src/http/urls.ts, which re-exports these so a
 * surface imports every URL from one place. Usernames match [A-Za-z0-9_]; encoded anyway.
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
