import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { actorUrl } from "../config/urls.ts";
import { type Db, queryRows } from "../db/client.ts";
import { things } from "../db/schema/flattr.ts";
import { currentPeriod } from "./current-period.ts";
import { FlattrError } from "./errors.ts";
import { normalizeThingUrl } from "./url.ts";
import { verifiedOwnerOf } from "./verification.ts";

export const MAX_TITLE_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 2000;

export type ThingKind = "page" | "profile" | "note";

export interface Thing {
  id: number;
  /** local: `ownerId` is a user here; remote: `remoteOwnerId` is a remote actor. */
  ownerKind: "local" | "remote";
  /** The local owner, or null for a remote owner. */
  ownerId: number | null;
  remoteOwnerId: bigint | null;
  /** The ActivityPub id of the flattred object (remote things, local notes), or null. */
  objectUri: string | null;
  kind: ThingKind;
  url: string;
  title: string;
  description: string;
  createdAt: Date;
  /** The page links back to its owner, as the instance last checked (src/flattr/verification.ts). */
  verified: boolean;
  /** Taken over by the owner who verified the URL: that thing's id (flattr it there). */
  supersededBy: number | null;
}

export interface ThingView extends Thing {
  /** A local owner has an id and a username; a remote owner's view is the resolve code's. */
  owner: { id: number | null; username: string; displayName: string };
  /** The current period ("YYYY-MM") the count below refers to. */
  period: string;
  /** Active flattrs, incoming ones from users of peers included. */
  flattrsThisPeriod: number;
  flattrsAllTime: number;
  /** Of those, incoming flattrs from users of other servers. */
  remoteFlattrsThisPeriod: number;
  remoteFlattrsAllTime: number;
}

// Control characters other than tab/newline/carriage return have no business in a title or
// description (a code-point test: the linter rightly dislikes control characters in regexes).
function hasControl(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}

/** A title as stored (whitespace collapsed), or a FlattrError invalid_title. */
export function cleanTitle(raw: string): string {
  const title = raw.trim().replace(/\s+/g, " ");
  if (title === "") throw new FlattrError("invalid_title", "A title is required.");
  if ([...title].length > MAX_TITLE_LENGTH)
    throw new FlattrError(
      "invalid_title",
      `The title is longer than ${MAX_TITLE_LENGTH} characters.`,
    );
  if (hasControl(title))
    throw new FlattrError("invalid_title", "The title contains control characters.");
  return title;
}

/** A description as stored (trimmed), or a FlattrError invalid_description. */
export function cleanDescription(raw: string | undefined): string {
  const description = (raw ?? "").trim();
  if ([...description].length > MAX_DESCRIPTION_LENGTH)
    throw new FlattrError(
      "invalid_description",
      `The description is longer than ${MAX_DESCRIPTION_LENGTH} characters.`,
    );
  if (hasControl(description))
    throw new FlattrError("invalid_description", "The description contains control characters.");
  return description;
}

export function toThing(row: typeof things.$inferSelect): Thing {
  return {
    id: row.id,
    ownerKind: row.ownerKind === "remote" ? "remote" : "local",
    ownerId: row.ownerId,
    remoteOwnerId: row.remoteOwnerId,
    objectUri: row.objectUri,
    kind: row.kind as ThingKind,
    url: row.url,
    title: row.title,
    description: row.description,
    createdAt: row.createdAt,
    verified: row.verifiedAt !== null,
    supersededBy: row.supersededBy,
  };
}

/**
 * Registers a web page as the owner's thing. The URL is unique per owner: registering the same URL
 * again returns the existing thing (`created: false`, title and description unchanged), which makes
 * the auto-submit flow ("create on first flattr") safe to repeat and to race.
 */
export async function registerThing(
  db: Db,
  clock: Clock,
  config: Config,
  ownerId: number,
  input: { url: string; title: string; description?: string },
): Promise<{ thing: Thing; created: boolean }> {
  const checked = normalizeThingUrl(input.url);
  if (!checked.ok) throw new FlattrError("invalid_url", checked.reason);
  // Profiles and posts here have a known owner; nobody may claim them as their own page.
  if (new URL(checked.normalized).origin === config.origin.origin)
    throw new FlattrError(
      "invalid_url",
      "Pages on this instance cannot be registered: profiles and posts here are flattrable already.",
    );
  const title = cleanTitle(input.title);
  const description = cleanDescription(input.description);
  const owner = await queryRows(db, sql`select 1 from users where id = ${ownerId}`);
  if (owner.length === 0) throw new FlattrError("user_not_found", "No such user.");
  // A page its owner verified is theirs: nobody else may claim it (src/flattr/verification.ts).
  const verified = await verifiedOwnerOf(db, checked.normalized);
  if (verified && verified.ownerId !== ownerId)
    throw new FlattrError(
      "invalid_url",
      `This page is verified as @${verified.username}'s: it links back to them. Flattr it on their thing instead.`,
    );

  const inserted = await db
    .insert(things)
    .values({
      ownerId,
      kind: "page",
      url: checked.url,
      urlNormalized: checked.normalized,
      title,
      description,
      createdAt: clock.now(),
    })
    .onConflictDoNothing({ target: [things.ownerId, things.urlNormalized] })
    .returning();
  if (inserted[0]) return { thing: toThing(inserted[0]), created: true };
  const existing = await findThingByUrl(db, ownerId, checked.normalized);
  if (!existing) throw new Error("thing vanished after a conflicting insert");
  return { thing: existing, created: false };
}

/** The owner's thing for this URL (any form that normalises the same), or null. */
export async function findThingByUrl(db: Db, ownerId: number, url: string): Promise<Thing | null> {
  const checked = normalizeThingUrl(url);
  if (!checked.ok) return null;
  const [row] = await db
    .select()
    .from(things)
    .where(and(eq(things.ownerId, ownerId), eq(things.urlNormalized, checked.normalized)));
  return row ? toThing(row) : null;
}

/** The id of a user's profile thing if it was ever flattred; never creates it. */
export async function findProfileThingId(db: Db, userId: number): Promise<number | null> {
  const [row] = await db
    .select({ id: things.id })
    .from(things)
    .where(and(eq(things.ownerId, userId), eq(things.kind, "profile")));
  return row?.id ?? null;
}

/** A local user's profile as a flattrable thing, created on first use. */
export async function profileThing(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
): Promise<Thing> {
  const found = await db
    .select()
    .from(things)
    .where(and(eq(things.ownerId, userId), eq(things.kind, "profile")));
  if (found[0]) return toThing(found[0]);
  const [user] = await queryRows<{ username: string; display_name: string }>(
    db,
    sql`select username, display_name from users where id = ${userId}`,
  );
  if (!user) throw new FlattrError("user_not_found", "No such user.");
  // The profile is flattred as the actor: its URL is the actor's id.
  const url = actorUrl(config, user.username);
  await db
    .insert(things)
    .values({
      ownerId: userId,
      kind: "profile",
      url,
      urlNormalized: url,
      title: user.display_name || user.username,
      description: "",
      createdAt: clock.now(),
    })
    .onConflictDoNothing();
  const [row] = await db
    .select()
    .from(things)
    .where(and(eq(things.ownerId, userId), eq(things.kind, "profile")));
  if (!row) throw new Error("profile thing vanished after a conflicting insert");
  return toThing(row);
}

/** A thing with its owner and its active flattrs in the current period and all time. */
export async function getThing(
  db: Db,
  clock: Clock,
  config: Config,
  thingId: number,
): Promise<ThingView> {
  if (!Number.isSafeInteger(thingId) || thingId < 1)
    throw new FlattrError("thing_not_found", "No such thing.");
  const period = currentPeriod(clock, config);
  const [row] = await db.select().from(things).where(eq(things.id, thingId));
  if (!row) throw new FlattrError("thing_not_found", "No such thing.");
  const [owner] = await queryRows<{ username: string; display_name: string }>(
    db,
    sql`select username, display_name from users where id = ${row.ownerId}`,
  );
  // Incoming flattrs count in the payer's period (src/flattr/incoming.ts).
  const [counts] = await queryRows<{
    this_period: string;
    all_time: string;
    remote_this_period: string;
    remote_all_time: string;
  }>(
    db,
    sql`select count(*) filter (where period = ${period})::text as this_period,
               count(*)::text as all_time,
               count(*) filter (where remote and period = ${period})::text as remote_this_period,
               count(*) filter (where remote)::text as remote_all_time
        from (select period, false as remote from flattrs
              where thing_id = ${thingId} and withdrawn_at is null
              union all
              select period, true from incoming_flattrs
              where thing_id = ${thingId} and withdrawn_at is null) x`,
  );
  return {
    ...toThing(row),
    owner: {
      id: row.ownerId,
      username: owner?.username ?? "",
      displayName: owner?.display_name ?? "",
    },
    period,
    flattrsThisPeriod: Number(counts?.this_period ?? 0),
    flattrsAllTime: Number(counts?.all_time ?? 0),
    remoteFlattrsThisPeriod: Number(counts?.remote_this_period ?? 0),
    remoteFlattrsAllTime: Number(counts?.remote_all_time ?? 0),
  };
}
