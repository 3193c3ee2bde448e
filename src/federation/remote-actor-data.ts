import { type Actor, Application, Group, Link, Organization, Person, Service } from "@fedify/vocab";
import type { RemoteActorData, RemoteActorType } from "../social/remote-actors.ts";

function typeOf(actor: Actor): RemoteActorType {
  if (actor instanceof Person) return "Person";
  if (actor instanceof Service) return "Service";
  if (actor instanceof Application) return "Application";
  if (actor instanceof Group) return "Group";
  if (actor instanceof Organization) return "Organization";
  return "Person";
}

const text = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

/**
 * What the remote-actor cache stores of a fetched or delivered actor (no Fedify types beyond
 * this adapter). The handle is `preferredUsername@host` of the actor's own origin, unconfirmed by
 * WebFinger; nothing that fetches is called (icon and attachments are read by id only).
 */
export function remoteActorDataOf(actor: Actor): RemoteActorData {
  if (!actor.id) throw new TypeError("an actor without an id");
  const username = text(actor.preferredUsername);
  const url = actor.url instanceof Link ? actor.url.href : actor.url;
  return {
    uri: actor.id.href,
    type: typeOf(actor),
    handle: username === "" ? null : `${username}@${actor.id.host}`,
    name: text(actor.name),
    summaryHtml: text(actor.summary),
    url: url?.href ?? null,
    iconUrl: actor.iconId?.href ?? null,
    inboxUrl: actor.inboxId?.href ?? null,
    sharedInboxUrl: actor.endpoints?.sharedInbox?.href ?? null,
    followersUrl: actor.followersId?.href ?? null,
    paymentUrl: null,
  };
}
