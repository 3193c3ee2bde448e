import type { DocumentLoader, Federation } from "@fedify/fedify";
import {
  Activity,
  Object as APObject,
  Article,
  Audio,
  Collection,
  Document,
  Event,
  getTypeId,
  Image,
  isActor,
  Link,
  Note,
  Page,
  PUBLIC_COLLECTION,
  Question,
  Tombstone,
  Video,
} from "@fedify/vocab";
import { FetchError } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import type { Deps } from "../deps.ts";
import type {
  Fetched,
  LookupFailure,
  RemoteLookup,
  RemoteObjectData,
} from "../flattr/remote-lookup.ts";
import { isDomainBlocked } from "../peers/blocks.ts";
import { hostOf } from "../peers/host.ts";
import type { Visibility } from "../social/remote-statuses.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import type { FederationData } from "./federation.ts";
import { ensurePeerKnown } from "./peer-info.ts";
import { remoteActorDataOf } from "./remote-actor-data.ts";
import { dateOf } from "./vocab/time.ts";
import { webFingerActor, webFingerOptionsFor } from "./webfinger.ts";

/*
 * The resolver's RemoteLookup (src/flattr/remote-lookup.ts) on Fedify. Documents are fetched
 * with the instance actor's signed document loader (servers in secure mode, like Mastodon's
 * AUTHORIZED_FETCH, refuse unsigned GETs; it is never cached, so a refresh sees the current
 * document), parsed with Fedify's vocabulary and turned into the domain's plain data. A document
 * that claims an id on another origin is not believed: that origin is asked for the id itself.
 */

const logger = getLogger(["fediflattr", "federation", "lookup"]);

const FETCH_TIMEOUT_MS = 10_000;
const POST_TYPES = [Note, Article, Question, Video, Audio, Image, Event, Document] as const;

const fail = (reason: LookupFailure["reason"], detail: string): LookupFailure => ({
  found: false,
  reason,
  detail,
});

/** The ActivityStreams type's short name (Note, Article…). */
const typeName = (object: APObject) => getTypeId(object).href.replace(/^.*[#/]/, "");

const text = (v: unknown): string => (v == null ? "" : String(v));

function href(v: URL | Link | null | undefined): string | null {
  if (v == null) return null;
  const u = v instanceof Link ? v.href : v;
  return u && hostOf(u) !== null ? u.href : null;
}

/** Public, unlisted, followers-only or direct, from the addressing (as Mastodon reads it). */
function visibilityOf(object: APObject, followers: string | null): Visibility {
  const pub = PUBLIC_COLLECTION.href;
  const to = object.toIds.map((u) => u.href);
  const cc = object.ccIds.map((u) => u.href);
  if (to.includes(pub) || to.includes("as:Public") || to.includes("Public")) return "public";
  if (cc.includes(pub) || cc.includes("as:Public") || cc.includes("Public")) return "unlisted";
  if (followers && (to.includes(followers) || cc.includes(followers))) return "private";
  return "direct";
}

function objectData(object: APObject, kind: "note" | "page"): RemoteObjectData {
  const attributedTo = object.attributionIds[0]?.href ?? null;
  // Mastodon's followers collection is <actor>/followers; without fetching the author we only
  // recognise that form, so other servers' followers-only posts read as direct (both refused).
  const followers = attributedTo ? `${attributedTo}/followers` : null;
  return {
    uri: object.id!.href,
    type: typeName(object),
    kind,
    url: href(object.url),
    attributedTo,
    name: object.name == null ? null : text(object.name),
    contentHtml: text(object.content),
    summary: text(object.summary),
    inReplyToUri: object.replyTargetId?.href ?? null,
    visibility: visibilityOf(object, followers),
    publishedAt: dateOf(object.published),
    editedAt: dateOf(object.updated),
  };
}

/** A fetch failure as the domain's reasons. */
function fetchFailure(error: unknown, uri: string): LookupFailure {
  if (error instanceof FetchError) {
    if (error.name === "BlockedHostError") return fail("blocked", `${hostOf(uri)} is blocked`);
    const status = error.response?.status;
    if (status === 404) return fail("not_found", "404 Not Found");
    if (status === 410) return fail("gone", "410 Gone");
    if (status !== undefined) return fail("unreachable", `its server answered ${status}`);
  }
  const cause = (error as { cause?: { code?: string } } | null)?.cause?.code;
  if (error instanceof SyntaxError)
    return fail("not_flattrable", "it is not an ActivityPub account or post (a web page?)");
  if (error instanceof Error && /abort|timeout/i.test(error.name))
    return fail("unreachable", "no answer in time");
  return fail("unreachable", cause ?? (error instanceof Error ? error.message : String(error)));
}

/** The RemoteLookup of this instance, signed by its instance actor. */
export function fedifyLookup(federation: Federation<FederationData>, deps: Deps): RemoteLookup {
  const { config } = deps;
  const context = () => federation.createContext(new URL(config.origin.href), deps);
  const isBlocked = (host: string) => isDomainBlocked(deps.database.db, host);

  async function fetchOnce(uri: string, hops: number): Promise<Fetched> {
    const host = hostOf(uri);
    if (host === null) return fail("not_found", "not an http(s) address");
    if (await isBlocked(host)) return fail("blocked", `${host} is blocked`);
    const ctx = context();
    const loader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
    let doc: Awaited<ReturnType<DocumentLoader>>;
    try {
      doc = await loader(uri, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (error) {
      logger.info("Fetching {uri} failed: {error}", { uri, error });
      return fetchFailure(error, uri);
    }
    const documentUrl = doc.documentUrl;
    let object: APObject;
    try {
      object = await APObject.fromJsonLd(doc.document, {
        documentLoader: loader,
        contextLoader: ctx.contextLoader,
        baseUrl: new URL(documentUrl),
      });
    } catch (error) {
      logger.info("{uri} is not an ActivityPub document: {error}", { uri, error });
      return fail("not_flattrable", "it is not an ActivityPub account or post");
    }
    if (object.id === null) return fail("not_flattrable", "the document has no id");
    if (object.id.origin !== new URL(documentUrl).origin) {
      // A document may only speak for its own origin; ask the origin it names, once.
      logger.info("{url} claims the id {id}; asking its own server", {
        url: documentUrl,
        id: object.id.href,
      });
      if (hops > 0)
        return fail("not_flattrable", "its server names it with an id on another server");
      return fetchOnce(object.id.href, hops + 1);
    }
    if (object instanceof Tombstone) return fail("gone", "a Tombstone");
    if (isActor(object))
      return {
        found: true,
        kind: "actor",
        actor: await remoteActorDataOf(object, { documentLoader: loader }),
      };
    if (object instanceof Page)
      return { found: true, kind: "object", object: objectData(object, "page") };
    if (POST_TYPES.some((T) => object instanceof T)) {
      const data = objectData(object, "note");
      if (data.visibility !== "public" && data.visibility !== "unlisted")
        return fail("not_flattrable", "it is not public");
      return { found: true, kind: "object", object: data };
    }
    const kind =
      object instanceof Activity
        ? "an activity"
        : object instanceof Collection
          ? "a collection"
          : `a ${typeName(object)}`;
    return fail("not_flattrable", `it is ${kind}, not an account or a post`);
  }

  return {
    webFinger: (username, host) =>
      webFingerActor(username, host, webFingerOptionsFor(config, isBlocked)),
    fetch: (uri) => fetchOnce(uri, 0),
    peer: async (host, scheme) => {
      const peer = await ensurePeerKnown(deps, host, { scheme });
      return { speaksFlattr: peer.speaksFlattr };
    },
  };
}
