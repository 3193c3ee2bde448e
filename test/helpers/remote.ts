import type { Clock } from "../../src/config/clock.ts";
import type { Config } from "../../src/config/config.ts";
import type { Db } from "../../src/db/client.ts";
import { type RemoteObject, remoteThingFor } from "../../src/flattr/remote-things.ts";
import type { Thing } from "../../src/flattr/things.ts";
import { type Peer, recordPeerInfo } from "../../src/peers/peers.ts";
import { FLATTR_PROTOCOL_VERSION } from "../../src/peers/protocol.ts";
import { type RemoteActor, upsertRemoteActor } from "../../src/social/remote-actors.ts";

/** A remote actor in the cache, `name` on `host` (e.g. "b.example" or "127.0.0.1:4321"). */
export function remoteActor(
  db: Db,
  clock: Clock,
  host: string,
  name: string,
): Promise<RemoteActor> {
  return upsertRemoteActor(db, clock, {
    uri: `https://${host}/users/${name}`,
    type: "Person",
    handle: `${name}@${host}`,
    name,
    summaryHtml: "",
    url: `https://${host}/@${name}`,
    iconUrl: null,
    inboxUrl: `https://${host}/users/${name}/inbox`,
    sharedInboxUrl: `https://${host}/inbox`,
    followersUrl: null,
    paymentUrl: null,
  });
}

let notes = 0;

/** A note of a remote actor as a flattrable thing (or its profile with kind "profile"). */
export function remoteNote(
  db: Db,
  clock: Clock,
  actor: RemoteActor,
  over: Partial<RemoteObject> = {},
): Promise<Thing> {
  const n = ++notes;
  return remoteThingFor(db, clock, actor, {
    kind: "note",
    objectUri: `${actor.uri}/statuses/${n}`,
    url: `${actor.url}/${n}`,
    title: `note ${n}`,
    ...over,
  });
}

/** The server at `host` speaks our protocol in our currency (or, with `peer: false`, does not). */
export function markPeer(
  db: Db,
  clock: Clock,
  config: Config,
  host: string,
  peer = true,
): Promise<Peer> {
  return recordPeerInfo(db, clock, config, host, {
    software: peer ? "fediflattr" : "mastodon",
    version: "1.0.0",
    flattr: peer
      ? {
          protocolVersion: FLATTR_PROTOCOL_VERSION,
          currency: config.currency,
          feeBasisPoints: 0,
          timeZone: "UTC",
          settlementDay: 10,
        }
      : null,
  });
}
