import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { actorPath, paymentLinkPath, profilePath, thingPath } from "../config/urls.ts";
import { type Db, queryRows } from "../db/client.ts";
import { things, users } from "../db/schema/index.ts";
import { FlattrError } from "./errors.ts";
import { periodLock } from "./period-lock.ts";

/*
 * Verified things (ADR 0023's sibling in issue 12): anyone may register any URL, so a page can be
 * claimed by someone who does not own it. A thing is *verified* when the page, fetched by this
 * instance, links back to its owner:
 *   <link rel="payment" href="…"> or <a rel="payment" href="…"> to the owner's profile, actor,
 *   payment link, or this thing's page / confirmation on this instance; or
 *   <meta name="fediflattr" content="@user@host"> naming the owner.
 * An owner who verifies a URL takes it over from unverified claimants of the same URL: their
 * flattrs of periods still open move to the verified thing (closed months stay as they were), and
 * their things refuse new flattrs (`superseded_by`).
 */

/** How the instance fetches a page: the port; src/federation/page-fetcher.ts is the adapter. */
export interface FetchedPage {
  /** The URL after redirects. */
  url: string;
  status: number;
  contentType: string;
  /** At most the fetcher's size cap, decoded as UTF-8. */
  body: string;
}
export type PageFetcher = (url: string) => Promise<FetchedPage>;

/** Why a page could not be fetched (network, size, time, a private address): said to the owner. */
export class PageFetchError extends Error {}

export interface Backlink {
  /** Paths on this instance that name the owner or the thing. */
  paths: string[];
  /** `@user@host`, lowercased. */
  handle: string;
}

/** What a page of `username`'s thing `thingId` may link to, to prove it is theirs. */
export function backlinkFor(config: Config, username: string, thingId: number): Backlink {
  return {
    paths: [
      actorPath(username),
      profilePath(username),
      paymentLinkPath(username),
      thingPath(thingId),
    ].map((p) => p.toLowerCase()),
    handle: `@${username}@${config.origin.host}`.toLowerCase(),
  };
}

function attributes(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g;
  for (const m of tag.matchAll(re)) {
    const name = m[1]!.toLowerCase();
    if (!attrs.has(name)) attrs.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ""));
  }
  return attrs;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(Number.parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * Whether the HTML links back as `backlink` says. Tags are read with a tolerant pattern, not a
 * DOM: comments are removed first so a commented-out link does not count.
 */
export function linksBack(html: string, pageUrl: string, config: Config, backlink: Backlink) {
  const text = html.replace(/<!--[\s\S]*?-->/g, "");
  for (const m of text.matchAll(/<(a|link|meta)\b[^>]*>/gi)) {
    const tag = m[1]!.toLowerCase();
    const attrs = attributes(m[0]);
    if (tag === "meta") {
      if ((attrs.get("name") ?? "").toLowerCase() !== "fediflattr") continue;
      const content = (attrs.get("content") ?? "").trim().toLowerCase();
      if (content === backlink.handle) return true;
      continue;
    }
    const rel = (attrs.get("rel") ?? "").toLowerCase().split(/\s+/);
    if (!rel.includes("payment")) continue;
    let href: URL;
    try {
      href = new URL(attrs.get("href") ?? "", pageUrl);
    } catch {
      continue;
    }
    if (href.origin !== config.origin.origin) continue;
    const path = href.pathname.replace(/\/+$/, "").toLowerCase();
    for (const p of backlink.paths) {
      // The thing's page, and anything under it (its confirmation, /things/7/flattr).
      if (path === p || (p.startsWith("/things/") && path.startsWith(`${p}/`))) return true;
    }
  }
  return false;
}

export interface VerifyOutcome {
  verified: boolean;
  /** Why not, for the owner (what was fetched, what was missing). */
  reason?: string;
  /** Other owners' unverified claims of the URL that this one took over. */
  tookOver: number;
  /** Their open-period flattrs that moved here (or were withdrawn: already flattred here). */
  movedFlattrs: number;
}

/**
 * The owner asks the instance to check their page now. A page that no longer links back loses
 * its verification. Refused (FlattrError) for things that are not the caller's registered pages.
 */
export async function verifyThing(
  db: Db,
  clock: Clock,
  config: Config,
  fetchPage: PageFetcher,
  ownerId: number,
  thingId: number,
): Promise<VerifyOutcome> {
  const [row] = await db
    .select({
      id: things.id,
      url: things.url,
      urlNormalized: things.urlNormalized,
      kind: things.kind,
      ownerId: things.ownerId,
      username: users.username,
    })
    .from(things)
    .innerJoin(users, eq(users.id, things.ownerId))
    .where(and(eq(things.id, thingId), isNull(things.supersededBy)));
  if (!row || row.ownerId !== ownerId) {
    throw new FlattrError("thing_not_found", "You have no such thing.");
  }
  if (row.kind !== "page") {
    throw new FlattrError("invalid_url", "Only registered web pages are verified this way.");
  }
  let page: FetchedPage;
  try {
    page = await fetchPage(row.url);
  } catch (e) {
    const reason = `The page could not be read: ${e instanceof PageFetchError ? e.message : "the request failed"}.`;
    return { verified: false, reason, tookOver: 0, movedFlattrs: 0 };
  }
  const backlink = backlinkFor(config, row.username, row.id);
  const ok =
    page.status >= 200 &&
    page.status < 300 &&
    /html/i.test(page.contentType || "text/html") &&
    linksBack(page.body, page.url, config, backlink);
  const now = clock.now();
  if (!ok) {
    await db.update(things).set({ verifiedAt: null }).where(eq(things.id, row.id));
    const reason =
      page.status < 200 || page.status >= 300
        ? `The page answered ${page.status}.`
        : `The page has no rel="payment" link to your profile or this thing here, and no <meta name="fediflattr" content="${backlink.handle}">.`;
    return { verified: false, reason, tookOver: 0, movedFlattrs: 0 };
  }
  return db.transaction(async (tx) => {
    await tx.update(things).set({ verifiedAt: now }).where(eq(things.id, row.id));
    const claims = await tx
      .select({ id: things.id })
      .from(things)
      .where(
        and(
          eq(things.urlNormalized, row.urlNormalized),
          eq(things.kind, "page"),
          ne(things.id, row.id),
          isNull(things.verifiedAt),
          isNull(things.supersededBy),
        ),
      );
    let moved = 0;
    for (const claim of claims) {
      moved += await moveOpenFlattrs(tx, claim.id, row.id, ownerId, now);
      await tx.update(things).set({ supersededBy: row.id }).where(eq(things.id, claim.id));
    }
    return { verified: true, tookOver: claims.length, movedFlattrs: moved };
  });
}

/**
 * Moves the active flattrs of `from` in periods not yet sealed to `to`, under each period's shared
 * lock (ADR 0002, as unflattr does): a payer who already flattred `to` that month, or who is its
 * owner, keeps one flattr: the moved one is withdrawn instead. Sealed months keep theirs.
 */
async function moveOpenFlattrs(tx: Db, from: number, to: number, owner: number, now: Date) {
  const periods = await queryRows<{ period: string }>(
    tx,
    sql`select distinct period from flattrs where thing_id = ${from} and withdrawn_at is null
        order by period`,
  );
  let moved = 0;
  for (const { period } of periods) {
    const { lockClass, periodKey } = periodLock(period);
    const [gate] = await queryRows<{ gate: string | null }>(
      tx,
      sql`select flattr_period_gate(${lockClass}::int4, ${periodKey}::int4, ${period}) as gate`,
    );
    if (gate?.gate != null) continue; // sealed: the close owns these flattrs now
    await tx.execute(
      sql`update flattrs f set withdrawn_at = ${now.toISOString()}::timestamptz,
                               withdrawn_reason = 'taken_over'
          where f.thing_id = ${from} and f.period = ${period} and f.withdrawn_at is null
            and (f.payer_id = ${owner} or exists (
              select 1 from flattrs g where g.thing_id = ${to} and g.payer_id = f.payer_id
                and g.period = ${period} and g.withdrawn_at is null))`,
    );
    const rows = await queryRows<{ n: string }>(
      tx,
      sql`with m as (
            update flattrs set thing_id = ${to}
            where thing_id = ${from} and period = ${period} and withdrawn_at is null
            returning 1)
          select count(*)::text as n from m`,
    );
    moved += Number(rows[0]?.n ?? 0);
  }
  return moved;
}

/**
 * Who verified this URL, if anyone: registering or submitting it for another owner is refused
 * then, so a button on a verified page cannot be redirected to a claimant.
 */
export async function verifiedOwnerOf(
  db: Db,
  urlNormalized: string,
): Promise<{ thingId: number; ownerId: number; username: string } | null> {
  const rows = await queryRows<{ id: string; owner_id: string; username: string }>(
    db,
    sql`select t.id::text, t.owner_id::text, u.username from things t join users u on u.id = t.owner_id
        where t.url_normalized = ${urlNormalized} and t.kind = 'page' and t.verified_at is not null
          and t.superseded_by is null and u.deleted_at is null
        order by t.verified_at limit 1`,
  );
  const r = rows[0];
  return r ? { thingId: Number(r.id), ownerId: Number(r.owner_id), username: r.username } : null;
}
