import type { Config } from "../../config/config.ts";
import type { StarFacts } from "../../flattr/status-flattrs.ts";
import type { AccountStats } from "../../social/account-stats.ts";
import type { StatusMention, TimelineEntry } from "../../social/timelines.ts";
import { authorAccount, type MastodonAccount } from "./account.ts";

/*
 * Mastodon's Status entity (docs.joinmastodon.org/entities/Status), for local posts and remote
 * notes alike. Favourite = flattr: `favourited` means "flattred this period" (a star can be
 * given again next month) and `favourites_count` counts flattrs of every period, here and from
 * other servers, plus plain favourites. `content` is the status's HTML and nothing else. No
 * media, polls, tags, emojis or reblogs here: those are empty, as Mastodon sends them when a
 * status has none.
 */

export interface MastodonStatus {
  id: string;
  uri: string;
  url: string;
  created_at: string;
  edited_at: string | null;
  account: MastodonAccount;
  content: string;
  text: string | null;
  visibility: string;
  sensitive: boolean;
  spoiler_text: string;
  language: string | null;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  media_attachments: never[];
  mentions: { id: string; username: string; acct: string; url: string }[];
  tags: never[];
  emojis: never[];
  application: { name: string; website: string | null } | null;
  replies_count: number;
  reblogs_count: number;
  favourites_count: number;
  quotes_count: number;
  favourited: boolean;
  reblogged: boolean;
  muted: boolean;
  bookmarked: boolean;
  pinned: boolean;
  reblog: null;
  poll: null;
  card: null;
  quote: null;
  filtered: never[];
}

/** What a Status is made of besides the status itself. */
export interface StatusExtras {
  stars: StarFacts;
  /** Counts of the author's account (local authors; remote ones are zero). */
  authorStats: AccountStats;
  mentions: StatusMention[];
  /** Whether `text` (the source) is shown: only to the author, after a create or an edit. */
  withSource?: boolean;
}

export function statusJson(config: Config, s: TimelineEntry, extras: StatusExtras): MastodonStatus {
  const ownHost = config.origin.host;
  return {
    id: String(s.id),
    uri: s.uri,
    url: s.url,
    created_at: s.publishedAt.toISOString(),
    edited_at: s.editedAt?.toISOString() ?? null,
    account: authorAccount(config, s.author, extras.authorStats),
    content: s.contentHtml,
    text: extras.withSource ? s.contentSource : null,
    visibility: s.visibility,
    sensitive: s.summary !== "",
    spoiler_text: s.summary,
    language: null,
    in_reply_to_id: s.inReplyToId === null ? null : String(s.inReplyToId),
    in_reply_to_account_id: s.inReplyToAuthorId,
    media_attachments: [],
    mentions: extras.mentions.map((m) => ({
      id: String(m.userId ?? m.remoteActorId),
      username: m.username,
      // Local accounts are named without the host, as Mastodon does.
      acct: m.handle.endsWith(`@${ownHost}`) ? m.username : m.handle,
      url: m.url,
    })),
    tags: [],
    emojis: [],
    application: null,
    replies_count: s.repliesCount,
    reblogs_count: 0,
    favourites_count: extras.stars.count,
    quotes_count: 0,
    favourited: extras.stars.flattred,
    reblogged: false,
    muted: false,
    bookmarked: false,
    pinned: false,
    reblog: null,
    poll: null,
    card: null,
    quote: null,
    filtered: [],
  };
}
