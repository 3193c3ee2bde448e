import type { Config } from "../config/config.ts";
import type { Flattr } from "../flattr/flattr.ts";
import type { ThingKind, ThingView } from "../flattr/things.ts";
import { thingUri } from "../flattr/url.ts";
import { profileUrl } from "../http/urls.ts";
import { formatAmount } from "../money/decimal.ts";
import type { Earnings } from "../settlement/earnings.ts";
import type { MyFlattr, MyFlattrs } from "../settlement/my-flattrs.ts";
import type { Statement } from "../settlement/statement.ts";
import type { WithdrawnFlattr } from "../settlement/withdrawn-flattrs.ts";
import type { Post as PostOfSocial } from "../social/posts.ts";
import type {
  Earnings as EarningsSchema,
  Flattr as FlattrSchema,
  MyFlattrs as MyFlattrsSchema,
  Out,
  Post as PostSchema,
  Statement as StatementSchema,
  Thing,
  ThingRef,
} from "./schemas.ts";

/*
 * The API's JSON shapes (snake_case, like the Mastodon API this instance also speaks). Amounts
 * are decimal strings in the `currency` of the same object; ids are numbers; times ISO 8601.
 * Each returns the type of its schema in schemas.ts, so a field the document does not describe
 * is a compile error; test/api checks answers against the published document too. Thing URLs are
 * answered as the canonical URI (`format: uri`), not as typed.
 */

export function thingJson(config: Config, t: ThingView): Out<typeof Thing> {
  return {
    id: t.id,
    kind: t.kind,
    url: thingUri(t.url),
    title: t.title,
    description: t.description,
    owner: {
      username: t.owner.username,
      display_name: t.owner.displayName,
      url: profileUrl(config, t.owner.username),
    },
    created_at: t.createdAt.toISOString(),
    period: t.period,
    flattrs_this_period: t.flattrsThisPeriod,
    flattrs_all_time: t.flattrsAllTime,
  };
}

export function flattrJson(f: Flattr): Out<typeof FlattrSchema> {
  return {
    id: f.id,
    thing_id: f.thingId,
    period: f.period,
    created_at: f.createdAt.toISOString(),
  };
}

function thingRef(config: Config, f: MyFlattr): Out<typeof ThingRef> {
  return {
    id: f.thingId,
    kind: f.kind as ThingKind, // the column holds only these
    title: f.title,
    url: thingUri(f.url),
    owner: {
      username: f.owner.username,
      url: f.owner.url ?? profileUrl(config, f.owner.username),
    },
  };
}

/** Where the flattr's share goes (creator kind, the peer's host), and whether that is final. */
function creatorJson(f: MyFlattr) {
  return { kind: f.creator.kind, host: f.creator.host, frozen: f.creator.frozen };
}

/** What became of the share once the period is closed. */
function statusJson(f: MyFlattr) {
  return { status: f.status, returns_at: f.returnsAt?.toISOString() ?? null };
}

export function myFlattrsJson(
  config: Config,
  v: MyFlattrs,
  withdrawn: WithdrawnFlattr[] = [],
): Out<typeof MyFlattrsSchema> {
  const amt = (x: bigint) => formatAmount(x, v.currency);
  return {
    period: v.period,
    status: v.status,
    final: v.final,
    currency: v.currency,
    amount: amt(v.amount),
    fee: amt(v.fee),
    flattrs: v.flattrs.map((f) => ({
      id: f.flattrId,
      thing: thingRef(config, f),
      creator: creatorJson(f),
      ...statusJson(f),
      created_at: f.createdAt.toISOString(),
      value: amt(f.value),
    })),
    withdrawn: withdrawn.map((w) => ({
      id: w.flattrId,
      thing: { id: w.thingId, title: w.title, url: thingUri(w.url) },
      created_at: w.createdAt.toISOString(),
      withdrawn_at: w.withdrawnAt.toISOString(),
      withdrawn_reason: w.withdrawnReason,
    })),
  };
}

export function earningsJson(e: Earnings): Out<typeof EarningsSchema> {
  const amt = (x: bigint) => formatAmount(x, e.currency);
  return {
    period: e.period,
    status: e.status,
    final: e.final,
    currency: e.currency,
    total: amt(e.total),
    flattrs: e.flattrs,
    remote_flattrs: e.remoteFlattrs,
    posted: amt(e.posted),
    things: e.things.map((t) => ({
      thing: { id: t.thingId, kind: t.kind as ThingKind, title: t.title, url: thingUri(t.url) },
      flattrs: t.flattrs,
      remote_flattrs: t.remoteFlattrs,
      amount: amt(t.amount),
    })),
  };
}

export function statementJson(config: Config, s: Statement): Out<typeof StatementSchema> {
  const amt = (x: bigint) => formatAmount(x, s.currency);
  const creator = earningsJson(s.creator);
  return {
    period: s.period,
    status: s.status,
    final: s.final,
    currency: s.currency,
    payer: {
      budget: s.payer.budget === null ? null : amt(s.payer.budget),
      opening_balance: amt(s.payer.opening),
      movements: s.payer.movements.map((m) => ({
        entry_id: m.entryId,
        kind: m.kind,
        created_at: m.createdAt.toISOString(),
        amount: amt(m.amount),
      })),
      closing_balance: amt(s.payer.closing),
      spent: amt(s.payer.spent),
      fee: amt(s.payer.fee),
      to_creators: amt(s.payer.toCreators),
      flattrs: s.payer.flattrs.map((f) => ({
        id: f.flattrId,
        thing: thingRef(config, f),
        creator: creatorJson(f),
        ...statusJson(f),
        created_at: f.createdAt.toISOString(),
        value: amt(f.value),
      })),
    },
    creator: {
      total: creator.total,
      flattrs: creator.flattrs,
      remote_flattrs: creator.remote_flattrs,
      posted: creator.posted,
      things: creator.things,
    },
  };
}

/** A local post as the API shows it. */
export function postJson(config: Config, post: PostOfSocial): Out<typeof PostSchema> {
  return {
    id: String(post.id),
    uri: post.uri,
    url: post.url,
    thing_id: post.thingId,
    content: post.contentSource,
    content_html: post.contentHtml,
    in_reply_to: post.inReplyToUri,
    created_at: post.publishedAt.toISOString(),
    edited_at: post.editedAt?.toISOString() ?? null,
    author: { username: post.username, url: profileUrl(config, post.username) },
    mentions: post.mentions.map((m) => ({ handle: m.handle, actor: m.actorUri, url: m.url })),
  };
}
