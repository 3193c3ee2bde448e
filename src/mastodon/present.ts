import type { Context } from "hono";
import { NO_STARS, starFacts } from "../flattr/status-flattrs.ts";
import type { AppEnv } from "../http/env.ts";
import { type AccountStats, accountStats } from "../social/account-stats.ts";
import { mentionsOf, type TimelineEntry } from "../social/timelines.ts";
import { NO_STATS } from "./entities/account.ts";
import { type MastodonStatus, statusJson } from "./entities/status.ts";

/*
 * Statuses as the Mastodon API answers them: the entries a door read, with what each Status
 * shows besides (its star, its mentions, its author's counts), read in a few queries for the
 * whole page rather than per status.
 */

export async function presentStatuses(
  c: Context<AppEnv>,
  entries: readonly TimelineEntry[],
  viewerId: number | null,
  options: { withSourceFor?: bigint } = {},
): Promise<MastodonStatus[]> {
  const { config, clock, database } = c.var.deps;
  const db = database.db;
  const thingIds = entries.flatMap((e) => (e.thingId === null ? [] : [e.thingId]));
  const authors = [
    ...new Set(entries.flatMap((e) => (e.author.userId === null ? [] : [e.author.userId]))),
  ];
  // Independent reads: concurrently, each on its own pooled connection.
  const [stars, mentions, authorStats] = await Promise.all([
    starFacts(db, clock, config, viewerId, thingIds),
    mentionsOf(
      db,
      config,
      entries.map((e) => e.id),
    ),
    Promise.all(authors.map((id) => accountStats(db, id))),
  ]);
  const stats = new Map<number, AccountStats>(authors.map((id, i) => [id, authorStats[i]!]));
  return entries.map((e) =>
    statusJson(config, e, {
      stars: (e.thingId !== null && stars.get(e.thingId)) || NO_STARS,
      authorStats: (e.author.userId !== null && stats.get(e.author.userId)) || NO_STATS,
      mentions: mentions.get(e.id) ?? [],
      withSource: options.withSourceFor === e.id,
    }),
  );
}

export async function presentStatus(
  c: Context<AppEnv>,
  entry: TimelineEntry,
  viewerId: number | null,
  options: { withSource?: boolean } = {},
): Promise<MastodonStatus> {
  const [status] = await presentStatuses(c, [entry], viewerId, {
    withSourceFor: options.withSource ? entry.id : undefined,
  });
  return status!;
}
