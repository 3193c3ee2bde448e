import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { remoteActors, statuses, things } from "../db/schema/index.ts";
import { htmlToText } from "../social/sanitize.ts";
import { findThingByObjectUri, remoteThingFor } from "./remote-things.ts";
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_TITLE_LENGTH,
  type Thing,
  type ThingKind,
  toThing,
} from "./things.ts";
import { normalizeThingUrl } from "./url.ts";

/*
 * The resolver's side of remote things (src/flattr/remote-things.ts creates them, one per
 * ActivityPub object): what people see of one (title, link, excerpt) follows the object each
 * time it is fetched again; notes are linked to their thing; deletions are read back.
 */

export interface RemoteThingInput {
  /** remote_actors.id of the owner: the actor itself (profile) or the object's author. */
  remoteOwnerId: bigint;
  kind: ThingKind;
  /** The ActivityPub id of what is flattred (for a profile: the actor's id). */
  objectUri: string;
  /** The HTML page people open (falls back to the object id). */
  url: string | null;
  title: string;
  description: string;
}

function withoutControl(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f) ? " " : ch;
  }
  return out;
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

/** A remote title as a thing's title: one line, no control characters, at most 200 characters. */
export function remoteTitle(...candidates: (string | null | undefined)[]): string {
  for (const c of candidates) {
    const line = withoutControl(c ?? "")
      .replace(/\s+/g, " ")
      .trim();
    if (line !== "") return clip(line, MAX_TITLE_LENGTH);
  }
  return "Untitled";
}

/** Plain text of a remote object's HTML as a thing's description (at most 2000 characters). */
export function remoteExcerpt(html: string): string {
  return clip(withoutControl(htmlToText(html)).trim(), MAX_DESCRIPTION_LENGTH);
}

/** The start of a remote object's text, short enough for a title (about 80 characters). */
export function remoteHeadline(html: string, max = 80): string {
  return clip(withoutControl(htmlToText(html)).trim(), max);
}

function urlColumns(url: string | null, objectUri: string) {
  const checked = normalizeThingUrl(url ?? "");
  if (checked.ok) return { url: checked.url, urlNormalized: checked.normalized };
  const id = normalizeThingUrl(objectUri);
  return id.ok
    ? { url: id.url, urlNormalized: id.normalized }
    : { url: objectUri, urlNormalized: objectUri };
}

/**
 * The thing of a remote actor or object, created on first use (`created`) through
 * remoteThingFor; a known one gets the object's current title, link and excerpt. An object whose
 * thing belongs to another owner is not answered (null): an object never changes hands.
 */
export async function resolvedThing(
  db: Db,
  clock: Clock,
  input: RemoteThingInput,
): Promise<{ thing: Thing; created: boolean } | null> {
  const title = remoteTitle(input.title);
  const description = clip(withoutControl(input.description).trim(), MAX_DESCRIPTION_LENGTH);
  const before = await findThingByObjectUri(db, input.objectUri);
  if (before && (before.ownerKind !== "remote" || before.remoteOwnerId !== input.remoteOwnerId))
    return null;
  const thing = await remoteThingFor(
    db,
    clock,
    { id: input.remoteOwnerId },
    { kind: input.kind, objectUri: input.objectUri, url: input.url, title },
  );
  const values = {
    ...urlColumns(input.url, input.objectUri),
    title,
    // A short post is all title: do not show it twice.
    description: description === title ? "" : description,
  };
  if (
    values.title === thing.title &&
    values.url === thing.url &&
    values.description === thing.description
  )
    return { thing, created: before === null };
  const [updated] = await db.update(things).set(values).where(eq(things.id, thing.id)).returning();
  return { thing: updated ? toThing(updated) : thing, created: before === null };
}

/** Links a cached remote status to its thing (once; a status has at most one thing). */
export async function linkStatusThing(db: Db, statusId: bigint, thingId: number): Promise<void> {
  await db
    .update(statuses)
    .set({ thingId })
    .where(and(eq(statuses.id, statusId), sql`${statuses.thingId} is null`));
}

/** A remote actor's profile thing, if it has one. */
export async function findRemoteProfileThing(db: Db, remoteOwnerId: bigint): Promise<Thing | null> {
  const [row] = await db
    .select()
    .from(things)
    .where(and(eq(things.remoteOwnerId, remoteOwnerId), eq(things.kind, "profile")));
  return row ? toThing(row) : null;
}

/** Whether a remote thing's object (or, for a profile, its actor) was deleted on its server. */
export async function remoteObjectDeleted(db: Db, thing: Thing): Promise<boolean> {
  if (thing.ownerKind !== "remote" || thing.objectUri === null) return false;
  const rows =
    thing.kind === "profile"
      ? await db
          .select({ gone: remoteActors.goneAt })
          .from(remoteActors)
          .where(eq(remoteActors.uri, thing.objectUri))
      : await db
          .select({ gone: statuses.deletedAt })
          .from(statuses)
          .where(eq(statuses.uri, thing.objectUri));
  return rows[0]?.gone != null;
}
