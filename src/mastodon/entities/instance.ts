import pkg from "../../../package.json" with { type: "json" };
import type { Config } from "../../config/config.ts";
import { headerImageUrl, streamingUrl } from "../../http/urls.ts";
import { MASTODON_API_VERSION } from "../../peers/protocol.ts";
import type { InstanceStats } from "../../social/instance-stats.ts";
import type { MastodonAccount } from "./account.ts";

/*
 * Mastodon's Instance entities, v1 (docs.joinmastodon.org/entities/V1_Instance) and v2
 * (entities/Instance). Apps read the version to pick features (so it names the Mastodon API
 * level we follow), the limits to size their compose box, and the streaming URL — Elk reads
 * `configuration.urls.streaming` without checking it exists.
 */

/** Local posts are plain text up to this many characters. */
export const MAX_STATUS_CHARACTERS = 5000;

export const instanceVersion = () =>
  `${MASTODON_API_VERSION} (compatible; Fediflattr ${pkg.version})`;

export interface InstanceFacts {
  stats: InstanceStats;
  contact: MastodonAccount | null;
}

const statusLimits = {
  max_characters: MAX_STATUS_CHARACTERS,
  max_media_attachments: 0,
  characters_reserved_per_url: 23,
};
// No uploads: every limit is zero and no type is supported.
const mediaLimits = {
  supported_mime_types: [],
  image_size_limit: 0,
  image_matrix_limit: 0,
  video_size_limit: 0,
  video_frame_rate_limit: 0,
  video_matrix_limit: 0,
};
// Mastodon's own poll limits, so apps that size their poll editor by them keep working; posting
// a poll is refused with a message (a later endpoint).
const pollLimits = {
  max_options: 4,
  max_characters_per_option: 50,
  min_expiration: 300,
  max_expiration: 2629746,
};

const registrationsOpen = (config: Config) => config.registration === "open";

export function instanceV1(config: Config, facts: InstanceFacts) {
  return {
    uri: config.origin.host,
    title: config.instance.title,
    short_description: config.instance.description,
    description: config.instance.description,
    email: config.instance.contactEmail,
    version: instanceVersion(),
    urls: { streaming_api: streamingUrl(config) },
    stats: {
      user_count: facts.stats.users,
      status_count: facts.stats.localStatuses,
      domain_count: facts.stats.domains,
    },
    thumbnail: headerImageUrl(config),
    languages: ["en"],
    registrations: registrationsOpen(config),
    approval_required: false,
    invites_enabled: config.registration !== "closed",
    configuration: {
      accounts: { max_featured_tags: 0 },
      statuses: statusLimits,
      media_attachments: mediaLimits,
      polls: pollLimits,
    },
    contact_account: facts.contact,
    rules: [],
  };
}

export function instanceV2(config: Config, facts: InstanceFacts) {
  return {
    domain: config.origin.host,
    title: config.instance.title,
    version: instanceVersion(),
    source_url: config.origin.href,
    description: config.instance.description,
    usage: { users: { active_month: facts.stats.users } },
    thumbnail: { url: headerImageUrl(config), blurhash: null, versions: {} },
    icon: [],
    languages: ["en"],
    configuration: {
      urls: { streaming: streamingUrl(config), status: null, about: null, privacy_policy: null },
      vapid: { public_key: "" },
      accounts: { max_featured_tags: 0, max_pinned_statuses: 0 },
      statuses: statusLimits,
      media_attachments: { ...mediaLimits, description_limit: 0 },
      polls: pollLimits,
      translation: { enabled: false },
    },
    registrations: {
      enabled: registrationsOpen(config),
      approval_required: false,
      message: null,
      url: null,
    },
    api_versions: { mastodon: 2 },
    contact: { email: config.instance.contactEmail, account: facts.contact },
    rules: [],
  };
}
