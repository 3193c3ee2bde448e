import type { Scope } from "../../accounts/oauth/scopes.ts";

/** What each scope lets an app do, in words for the consent and settings pages. */
const WORDS: Record<Scope, string> = {
  read: "Read everything of your account: profile, posts, follows, flattrs, notifications",
  "read:accounts": "See account information",
  "read:blocks": "See your blocks",
  "read:bookmarks": "See your bookmarks",
  "read:favourites": "See what you starred (flattred)",
  "read:filters": "See your filters",
  "read:follows": "See who you follow",
  "read:lists": "See your lists",
  "read:mutes": "See your mutes",
  "read:notifications": "See your notifications",
  "read:search": "Search as you",
  "read:statuses": "See your posts and timelines",
  write:
    "Change everything of your account: post, follow, star (flattr), set your budget, edit your profile",
  "write:accounts": "Edit your profile",
  "write:blocks": "Block accounts and domains",
  "write:bookmarks": "Bookmark posts",
  "write:conversations": "Mute and delete conversations",
  "write:favourites": "Star posts — a star is a flattr",
  "write:filters": "Create filters",
  "write:follows": "Follow people",
  "write:lists": "Create lists",
  "write:media": "Upload media",
  "write:mutes": "Mute people and conversations",
  "write:notifications": "Clear your notifications",
  "write:reports": "Report other people",
  "write:statuses": "Publish and delete posts",
  follow: "Follow, block and mute people, and see who you follow, block and mute",
  push: "Receive push notifications",
  profile: "See your username and profile (only who you are)",
};

export function scopeWords(scope: Scope): string {
  return WORDS[scope];
}
