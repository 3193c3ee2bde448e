import type { Deps } from "../../src/deps.ts";
import type {
  Fetched,
  LookupFailure,
  RemoteLookup,
  RemoteObjectData,
} from "../../src/flattr/remote-lookup.ts";
import { recordPeerInfo } from "../../src/peers/peers.ts";
import { FLATTR_PROTOCOL_VERSION } from "../../src/peers/protocol.ts";
import type { RemoteActorData } from "../../src/social/remote-actors.ts";

/**
 * A RemoteLookup answering from maps, for tests of the resolver's own decisions (caching,
 * staleness, refusals, owner kinds). The Fedify adapter is tested against real servers
 * (test/federation/resolve.test.ts). Every call is recorded in `calls`; `offline()` makes every
 * call throw, to prove a path uses no network.
 */
export class FakeLookup implements RemoteLookup {
  /** With `deps`, `peer()` records what it answers in the peers table, as the real adapter does. */
  constructor(readonly deps?: Deps) {}
  readonly calls: string[] = [];
  readonly handles = new Map<string, string>();
  readonly documents = new Map<string, Fetched>();
  readonly peers = new Set<string>();
  #offline = false;

  offline(on = true): this {
    this.#offline = on;
    return this;
  }

  addActor(data: RemoteActorData, handle?: string): this {
    this.documents.set(data.uri, { found: true, kind: "actor", actor: data });
    if (handle) this.handles.set(handle, data.uri);
    return this;
  }

  addObject(data: RemoteObjectData): this {
    this.documents.set(data.uri, { found: true, kind: "object", object: data });
    return this;
  }

  fail(uri: string, reason: LookupFailure["reason"]): this {
    this.documents.set(uri, { found: false, reason, detail: `fake ${reason}` });
    return this;
  }

  #call(what: string): void {
    if (this.#offline) throw new Error(`no network expected, but asked: ${what}`);
    this.calls.push(what);
  }

  async webFinger(username: string, host: string) {
    this.#call(`webfinger ${username}@${host}`);
    const uri = this.handles.get(`${username}@${host}`);
    if (uri) return { found: true as const, actorUri: uri };
    const down = this.documents.get(`https://${host}/`);
    if (down && !down.found) return down;
    return { found: false as const, reason: "not_found" as const, detail: "fake: no such account" };
  }

  async fetch(uri: string): Promise<Fetched> {
    this.#call(`fetch ${uri}`);
    return (
      this.documents.get(uri) ?? { found: false, reason: "not_found", detail: "fake: not found" }
    );
  }

  async peer(host: string) {
    this.#call(`peer ${host}`);
    const speaksFlattr = this.peers.has(host);
    if (this.deps) {
      const { database, clock, config } = this.deps;
      const flattr = speaksFlattr
        ? {
            protocolVersion: FLATTR_PROTOCOL_VERSION,
            currency: config.currency,
            feeBasisPoints: 0,
            timeZone: null,
            settlementDay: null,
          }
        : null;
      await recordPeerInfo(database.db, clock, config, host, {
        software: speaksFlattr ? "fediflattr" : "mastodon",
        version: "1",
        flattr,
      });
    }
    return { speaksFlattr };
  }
}

export function actorData(uri: string, over: Partial<RemoteActorData> = {}): RemoteActorData {
  const u = new URL(uri);
  const name = u.pathname.split("/").pop() ?? "x";
  return {
    uri,
    type: "Person",
    handle: `${name}@${u.host}`,
    name: `${name} (remote)`,
    summaryHtml: "<p>A remote account.</p>",
    url: `${u.origin}/@${name}`,
    iconUrl: null,
    inboxUrl: `${uri}/inbox`,
    sharedInboxUrl: `${u.origin}/inbox`,
    followersUrl: `${uri}/followers`,
    paymentUrl: null,
    ...over,
  };
}

export function noteData(
  uri: string,
  author: string,
  over: Partial<RemoteObjectData> = {},
): RemoteObjectData {
  return {
    uri,
    type: "Note",
    kind: "note",
    url: uri,
    attributedTo: author,
    name: null,
    contentHtml: "<p>Hello from elsewhere.</p>",
    summary: "",
    inReplyToUri: null,
    visibility: "public",
    publishedAt: new Date("2026-12-01T12:00:00Z"),
    editedAt: null,
    ...over,
  };
}
