import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Db } from "../db/client.ts";
import { things } from "../db/schema/flattr.ts";
import { MAX_TITLE_LENGTH, type Thing, type ThingKind, toThing } from "./things.ts";
import { normalizeThingUrl } from "./url.ts";

/** What is flattred on another server: a remote note, page or actor (its profile). */
export interface RemoteObject {
  kind: ThingKind;
  /** The object's ActivityPub id (an actor's id for its profile). */
  objectUri: string;
  /** The HTML page people open, when the object names one; else its id. */
  url?: string | null;
  /** Shown to people; derived from the object (a note's first words, an actor's name). */
  title: string;
}

/** Whitespace collapsed, control characters dropped, at most MAX_TITLE_LENGTH characters. */
function remoteTitle(raw: string, fallback: string): string {
  const cleaned = [...raw]
    .filter((ch) => {
      const c = ch.codePointAt(0)!;
      return c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c <= 0x9f);
    })
    .join("")
    .replace(/\s+/g, " ")
    .trim();
  const title = cleaned === "" ? fallback : cleaned;
  return [...title].slice(0, MAX_TITLE_LENGTH).join("");
}

/**
 * The thing for a remote object owned by a remote actor (already cached in remote_actors),
 * created on first use: one thing per object (things.object_uri is unique), one profile thing per
 * actor. Title and URL are kept as first stored. Throws when the object's thing already belongs
 * to another owner (an object id never changes hands).
 */
export async function remoteThingFor(
  db: Db,
  clock: Clock,
  owner: { id: bigint },
  object: RemoteObject,
): Promise<Thing> {
  const checkedUri = normalizeThingUrl(object.objectUri);
  if (!checkedUri.ok) throw new RangeError(`not an object id: ${object.objectUri.slice(0, 100)}`);
  const checkedUrl = object.url ? normalizeThingUrl(object.url) : null;
  const url = checkedUrl?.ok ? checkedUrl : checkedUri;
  await db
    .insert(things)
    .values({
      ownerKind: "remote",
      remoteOwnerId: owner.id,
      kind: object.kind,
      url: url.url,
      urlNormalized: url.normalized,
      objectUri: object.objectUri,
      title: remoteTitle(object.title, url.url),
      createdAt: clock.now(),
    })
    .onConflictDoNothing();
  let [row] = await db.select().from(things).where(eq(things.objectUri, object.objectUri));
  if (!row && object.kind === "profile") {
    // The actor's profile thing exists under another object id (it cannot: a profile's object
    // id is the actor's id), or the insert lost a race on the profile index: read it.
    [row] = await db
      .select()
      .from(things)
      .where(and(eq(things.remoteOwnerId, owner.id), eq(things.kind, "profile")));
  }
  if (!row) throw new Error("remote thing vanished after a conflicting insert");
  if (row.ownerKind !== "remote" || row.remoteOwnerId !== owner.id)
    throw new Error(`the thing of ${object.objectUri.slice(0, 100)} belongs to another owner`);
  return toThing(row);
}

/** The thing of a remote object, if it has one. */
export async function findThingByObjectUri(db: Db, objectUri: string): Promise<Thing | null> {
  const [row] = await db.select().from(things).where(sql`${things.objectUri} = ${objectUri}`);
  return row ? toThing(row) : null;
}
