import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import {
  Accept,
  Activity,
  Endpoints,
  Follow,
  Note,
  Person,
  PUBLIC_COLLECTION,
  type Recipient,
} from "@fedify/vocab";
import { serve } from "@hono/node-server";
import { instantOf } from "../../src/federation/vocab/time.ts";
import { freePort } from "./instance.ts";

/*
 * A plain Fedify server standing in for Mastodon in federation tests: no Fediflattr code, no
 * `metadata.flattr` in its NodeInfo (so its creators are "unclaimed" to us), real HTTP signatures
 * with its own RSA and Ed25519 keys. It serves WebFinger, a `Person` per user, the `Note`s a test
 * adds, and an inbox that records every activity Fedify verified and accepts every Follow. Tests
 * make it send activities to our instances with `send()`.
 */

// biome-ignore lint/suspicious/noExplicitAny: received activities are arbitrary JSON.
type Json = any;

export interface ReceivedActivity {
  type: string;
  id: string | null;
  actor: string | null;
  /** The activity as received (compacted by Fedify's parser). */
  json: Json;
  /** Which inbox: the user's name, or null for the shared inbox. */
  inbox: string | null;
}

export interface PlainFedify {
  origin: string;
  /** e.g. `mastodon.test`-style host[:port] of `origin`. */
  host: string;
  /** Activities received so far, oldest first. */
  received: ReceivedActivity[];
  /** Every request served, `METHOD /path?query`, oldest first (to prove what was fetched). */
  requests: string[];
  /**
   * Adds a user (its keys are made on first use); returns its actor id. With `totals`, its actor
   * publishes followers, following and outbox collections with those `totalItems` (as Mastodon
   * does); without, it publishes no followers or following and its outbox answers 404.
   */
  addUser(
    username: string,
    options?: { name?: string; summary?: string; totals?: CollectionTotals },
  ): string;
  actorUri(username: string): string;
  /** Adds a public note by `username`; returns the note's id. */
  addNote(username: string, content: string, options?: { inReplyTo?: string }): string;
  /** Makes a note's URL answer 410 Gone from now on (it was deleted). */
  deleteNote(uri: string): void;
  /** Serves `json` as an ActivityPub document at `path` (e.g. one claiming another origin's id). */
  addRawDocument(path: string, json: Json): string;
  /**
   * Sends an activity from `username` to one recipient, signed by `username`'s keys, at once
   * (no queue). The activity's actor must be that user.
   */
  send(username: string, recipient: Recipient, activity: Activity): Promise<void>;
  stop(): Promise<void>;
}

export interface CollectionTotals {
  followers: number;
  following: number;
  statuses: number;
}

interface StoredNote {
  id: string;
  author: string;
  content: string;
  inReplyTo: string | null;
  published: Date;
  gone: boolean;
}

/** Starts a plain Fedify server on a loopback port. */
export async function startPlainFedify(
  options: {
    software?: string;
    version?: string;
    /**
     * Secure mode (Mastodon's AUTHORIZED_FETCH): actors and notes are served only to signed
     * requests (Fedify's authorize predicates; unsigned ones get 401).
     */
    secure?: boolean;
  } = {},
): Promise<PlainFedify> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const users = new Map<
    string,
    { name: string; summary: string; totals: CollectionTotals | undefined }
  >();
  const keys = new Map<string, Promise<CryptoKeyPair[]>>();
  const notes = new Map<string, StoredNote>();
  const received: ReceivedActivity[] = [];
  const requests: string[] = [];
  const raw = new Map<string, Json>();
  const signedOnly = async (ctx: { getSignedKeyOwner(): Promise<unknown> }) =>
    !options.secure || (await ctx.getSignedKeyOwner()) != null;
  let noteSeq = 0;

  const federation = createFederation<void>({
    kv: new MemoryKvStore(),
    origin,
    allowPrivateAddress: true,
  });

  const keyPairs = (username: string) => {
    let pending = keys.get(username);
    if (!pending) {
      pending = Promise.all([
        generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
        generateCryptoKeyPair("Ed25519"),
      ]);
      keys.set(username, pending);
    }
    return pending;
  };

  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      const user = users.get(identifier);
      if (!user) return null;
      const pairs = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: user.name,
        summary: user.summary,
        url: new URL(`/@${identifier}`, origin),
        inbox: ctx.getInboxUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        ...(user.totals
          ? {
              followers: ctx.getFollowersUri(identifier),
              following: ctx.getFollowingUri(identifier),
            }
          : {}),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: pairs[0]?.cryptographicKey ?? null,
        assertionMethods: pairs.map((p) => p.multikey),
      });
    })
    .authorize((ctx) => signedOnly(ctx))
    .mapHandle((_ctx, handle) => (users.has(handle) ? handle : null))
    .setKeyPairsDispatcher((_ctx, identifier) =>
      users.has(identifier) ? keyPairs(identifier) : [],
    );

  // The collections hold no items, only the totals a test gave (what a profile's counts read).
  const totalOf = (identifier: string, which: keyof CollectionTotals) =>
    users.get(identifier)?.totals?.[which] ?? null;
  const emptyIfTotals = (identifier: string) =>
    users.get(identifier)?.totals ? { items: [] } : null;
  federation
    .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) =>
      emptyIfTotals(identifier),
    )
    .setCounter((_ctx, identifier) => totalOf(identifier, "followers"));
  federation
    .setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) =>
      emptyIfTotals(identifier),
    )
    .setCounter((_ctx, identifier) => totalOf(identifier, "following"));
  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) =>
      emptyIfTotals(identifier),
    )
    .setCounter((_ctx, identifier) => totalOf(identifier, "statuses"));

  federation
    .setObjectDispatcher(Note, "/users/{identifier}/statuses/{id}", (ctx, { identifier, id }) => {
      const note = notes.get(new URL(`/users/${identifier}/statuses/${id}`, origin).href);
      if (!note || note.gone) return null;
      return noteObject(ctx.getActorUri(identifier), note);
    })
    .authorize((ctx) => signedOnly(ctx));

  federation.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
    software: { name: options.software ?? "mastodon", version: options.version ?? "4.3.0" },
    protocols: ["activitypub"],
    openRegistrations: false,
    usage: { users: { total: users.size }, localPosts: notes.size, localComments: 0 },
  }));

  const record = async (inbox: string | null, activity: Activity) => {
    received.push({
      type: activity.constructor.name,
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      json: await activity.toJsonLd(),
      inbox,
    });
  };

  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, async (ctx, follow) => {
      await record(ctx.recipient, follow);
      const target = ctx.parseUri(follow.objectId);
      if (target?.type !== "actor" || !users.has(target.identifier)) return;
      const follower = await follow.getActor(ctx);
      if (!follower) return;
      await ctx.sendActivity(
        { identifier: target.identifier },
        follower,
        new Accept({
          id: new URL(`#accepts/${crypto.randomUUID()}`, ctx.getActorUri(target.identifier)),
          actor: ctx.getActorUri(target.identifier),
          object: follow,
        }),
      );
    })
    .on(Activity, async (ctx, activity) => {
      await record(ctx.recipient, activity);
    });

  // Deleted notes answer 410, as Mastodon does for a deleted status.
  const server = serve({
    port,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      const url = new URL(request.url);
      requests.push(`${request.method} ${url.pathname}${url.search}`);
      const doc = raw.get(url.pathname);
      if (doc !== undefined)
        return Response.json(doc, { headers: { "Content-Type": "application/activity+json" } });
      const note = notes.get(`${origin}${url.pathname}`);
      if (note?.gone) return new Response("Gone", { status: 410 });
      return federation.fetch(request, { contextData: undefined });
    },
  });
  await new Promise<void>((resolve) => {
    if (server.listening) resolve();
    else server.once("listening", () => resolve());
  });

  return {
    origin,
    host: new URL(origin).host,
    received,
    requests,
    addUser(username, opts = {}) {
      users.set(username, {
        name: opts.name ?? username,
        summary: opts.summary ?? "",
        totals: opts.totals,
      });
      return new URL(`/users/${username}`, origin).href;
    },
    actorUri: (username) => new URL(`/users/${username}`, origin).href,
    addNote(username, content, opts = {}) {
      if (!users.has(username)) throw new Error(`no user ${username}`);
      const id = new URL(`/users/${username}/statuses/${++noteSeq}`, origin).href;
      notes.set(id, {
        id,
        author: new URL(`/users/${username}`, origin).href,
        content,
        inReplyTo: opts.inReplyTo ?? null,
        published: new Date(),
        gone: false,
      });
      return id;
    },
    deleteNote(uri) {
      const note = notes.get(uri);
      if (note) note.gone = true;
    },
    addRawDocument(path, json) {
      raw.set(path, json);
      return new URL(path, origin).href;
    },
    async send(username, recipient, activity) {
      const ctx = federation.createContext(new URL(origin), undefined);
      await ctx.sendActivity({ identifier: username }, recipient, activity, { immediate: true });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function noteObject(author: URL, note: StoredNote): Note {
  return new Note({
    id: new URL(note.id),
    attribution: author,
    content: note.content,
    published: instantOf(note.published),
    replyTarget: note.inReplyTo ? new URL(note.inReplyTo) : null,
    to: PUBLIC_COLLECTION,
    url: new URL(note.id),
  });
}
