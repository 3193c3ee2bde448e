import type { Config } from "../config/config.ts";
import { absoluteUrl as absolute, pathSegment as name, thingPath } from "../config/urls.ts";

/*
 * Every public URL of the instance, built in one place: pages link with the paths, API answers,
 * federation documents and embed snippets use the absolute forms. Surfaces import them all from
 * here. The URLs the domain stores (actor ids, profile pages) are defined in src/config/urls.ts,
 * which the domain may import, and re-exported below; a URL moves there when the domain must
 * store it.
 */

export {
  ACTOR_PATH_TEMPLATE,
  actorUrl,
  followersUrl,
  inboxUrl,
  instanceActorUrl,
  likePath,
  likeUrl,
  NOTE_PATH_TEMPLATE,
  notePath,
  noteUrl,
  passwordResetPath,
  passwordResetUrl,
  paymentLinkPath,
  paymentLinkUrl,
  postPath,
  postUrl,
  profilePath,
  profileUrl,
  sharedInboxUrl,
  THING_PATH_TEMPLATE,
  thingPath,
  thingUrl,
} from "../config/urls.ts";

/** Where the author of a local post edits it. */
export const postEditPath = (postId: bigint | string) => `/posts/${postId}/edit`;

/** A user's generated default avatar (PNG; the web serves it), and the plain header image. */
export const avatarPath = (username: string) => `/avatars/${name(username)}.png`;
export const avatarUrl = (config: Config, username: string) =>
  absolute(config, avatarPath(username));
export const HEADER_IMAGE_PATH = "/avatars/header.png";
export const headerImageUrl = (config: Config) => absolute(config, HEADER_IMAGE_PATH);

/**
 * The streaming API's base as Mastodon publishes it: the origin as ws:/wss:, without a path,
 * because apps append `/api/v1/streaming` themselves (megalodon concatenates, masto.js resolves).
 */
export const streamingUrl = (config: Config) =>
  absolute(config, "/").replace(/^http/, "ws").replace(/\/$/, "");

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

/** The search box's page: find a profile or post by handle or address (`/search?q=`). */
export const searchPath = (q?: string) =>
  q === undefined ? "/search" : `/search?${new URLSearchParams({ q })}`;

/** Where src/app.ts mounts the REST API. */
export const API_BASE = "/api/flattr/v1";
export const apiBaseUrl = (config: Config) => absolute(config, API_BASE);
/** A thing as a REST API resource. */
export const apiThingUrl = (config: Config, thingId: number) =>
  absolute(config, `${API_BASE}/things/${thingId}`);
/** A post as a REST API resource. */
export const apiPostUrl = (config: Config, postId: bigint | string) =>
  absolute(config, `${API_BASE}/posts/${postId}`);

/** A settlement summary we sent (its object id), its lines collection, our answers to peers'. */
export const settlementSummaryUrl = (config: Config, id: number) =>
  absolute(config, `/settlement/summaries/${id}`);
export const SETTLEMENT_LINES_PATH = /^\/settlement\/summaries\/([1-9][0-9]{0,15})\/lines$/;
export const settlementLinesUrl = (config: Config, id: number, page?: number) =>
  absolute(config, `/settlement/summaries/${id}/lines${page ? `?page=${page}` : ""}`);
export const settlementAnswerUrl = (config: Config, receivedId: number, attempt: number) =>
  absolute(config, `/settlement/received/${receivedId}/answers/${attempt}`);
/** A transfer we recorded (the object of its notice to the peer; an id, not served). */
export const settlementTransferUrl = (config: Config, id: number) =>
  absolute(config, `/settlement/transfers/${id}`);
