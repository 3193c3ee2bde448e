import type { Context, Federation, RequestContext } from "@fedify/fedify";
import { Application, Endpoints, Link, Person } from "@fedify/vocab";
import { findUserByUsername, type User } from "../accounts/users.ts";
import type { Db } from "../db/client.ts";
import { ACTOR_PATH_TEMPLATE, paymentLinkUrl, profileUrl } from "../http/urls.ts";
import type { FederationData } from "./federation.ts";
import { INSTANCE_KEY_OWNER, loadOrCreateKeyPairs } from "./keys.ts";
import { dbOf } from "./outbox.ts";

/**
 * Fedify's identifier of the instance actor. "~" is never part of a username
 * (src/accounts/validation.ts), so no user can take it; `/actor` is mapped to it.
 */
export const INSTANCE_ACTOR = "~instance";

/**
 * The local user an actor identifier names. Identifiers are canonical usernames: `/users/Alice`
 * exists, `/users/alice` does not (one URI per actor), while handles are case-insensitive.
 */
export async function localUser(
  ctx: Context<FederationData>,
  identifier: string,
): Promise<User | null> {
  if (identifier === INSTANCE_ACTOR) return null;
  const user = await findUserByUsername(dbOf(ctx), identifier);
  return user && user.username === identifier ? user : null;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A plain-text bio as the HTML `summary` ActivityPub expects. */
function bioHtml(bio: string): string | null {
  const paragraphs = bio
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (paragraphs.length === 0) return null;
  return paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\r?\n/g, "<br>")}</p>`).join("");
}

async function personFor(ctx: RequestContext<FederationData>, user: User): Promise<Person> {
  const keys = await ctx.getActorKeyPairs(user.username);
  return new Person({
    id: ctx.getActorUri(user.username),
    preferredUsername: user.username,
    // The HTML profile, where a person (or a Mastodon "open in browser") lands.
    url: new URL(profileUrl(ctx.data.config, user.username)),
    name: user.displayName || user.username,
    summary: bioHtml(user.bio),
    inbox: ctx.getInboxUri(user.username),
    outbox: ctx.getOutboxUri(user.username),
    followers: ctx.getFollowersUri(user.username),
    following: ctx.getFollowingUri(user.username),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((k) => k.multikey),
    manuallyApprovesFollowers: false,
    attachments: [
      // FEP-0ea0 payment link: where a remote server sends people to flattr this user.
      new Link({
        rel: "payment",
        href: new URL(paymentLinkUrl(ctx.data.config, user.username)),
        mediaType: "text/html",
      }),
    ],
  });
}

async function instanceActor(ctx: RequestContext<FederationData>): Promise<Application> {
  const keys = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
  return new Application({
    id: ctx.getActorUri(INSTANCE_ACTOR),
    preferredUsername: ctx.hostname,
    name: `Fediflattr at ${ctx.host}`,
    summary: "The instance actor: it signs settlement summaries between Fediflattr instances.",
    // Settlement traffic is addressed to this actor; it arrives through the shared inbox.
    inbox: ctx.getInboxUri(),
    outbox: ctx.getOutboxUri(INSTANCE_ACTOR),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((k) => k.multikey),
    manuallyApprovesFollowers: true,
  });
}

/**
 * Users are `Person`s at `/users/{username}`, the instance is an `Application` at `/actor`.
 * Key pairs are loaded from the database once per process (they never change).
 */
export function registerActors(federation: Federation<FederationData>): void {
  const keyCache = new Map<string, Promise<CryptoKeyPair[]>>();
  const keyPairs = (db: Db, owner: string): Promise<CryptoKeyPair[]> => {
    let pending = keyCache.get(owner);
    if (!pending) {
      pending = loadOrCreateKeyPairs(db, owner);
      keyCache.set(owner, pending);
      pending.catch(() => keyCache.delete(owner));
    }
    return pending;
  };

  federation
    .setActorDispatcher(ACTOR_PATH_TEMPLATE, async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) {
        // Only under its alias: `/users/~instance` is not a second address of it.
        return ctx.url.pathname.startsWith("/users/") ? null : instanceActor(ctx);
      }
      const user = await localUser(ctx, identifier);
      return user && personFor(ctx, user);
    })
    .mapActorAlias("/actor", INSTANCE_ACTOR)
    .mapHandle(async (ctx, handle) => {
      const user = await findUserByUsername(dbOf(ctx), handle);
      if (user) return user.username;
      // acct:<host>@<host> is the instance actor, as on Mastodon.
      return handle.toLowerCase() === ctx.hostname.toLowerCase() ? INSTANCE_ACTOR : null;
    })
    .setKeyPairsDispatcher(async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return keyPairs(dbOf(ctx), INSTANCE_KEY_OWNER);
      const user = await localUser(ctx, identifier);
      return user ? keyPairs(dbOf(ctx), user.username) : [];
    });
}
