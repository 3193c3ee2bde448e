import type { Context, Federation } from "@fedify/fedify";
import { Follow, type Recipient, Undo } from "@fedify/vocab";
import { eq, inArray, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { remoteActors, statuses } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { remoteFollowerInboxes } from "../social/follows.ts";
import type { OutgoingFollow, PostEvent, SocialFederation } from "../social/ports.ts";
import { getPost } from "../social/posts.ts";
import { lookupRemoteActor } from "./actor-cache.ts";
import { type FederationData, federationContext } from "./federation.ts";
import { createOf, deleteOf, updateOf } from "./notes.ts";
import { inOutbox } from "./outbox.ts";

/*
 * The social domain's federation port (src/social/ports.ts) on Fedify: look-ups through the
 * actor cache, deliveries through `ctx.sendActivity()` inside the domain's transaction (the
 * transactional outbox), to shared inboxes where the recipient has one.
 */

function recipient(row: {
  uri: string;
  inboxUrl: string | null;
  sharedInboxUrl: string | null;
}): Recipient | null {
  if (!row.inboxUrl) return null;
  return {
    id: new URL(row.uri),
    inboxId: new URL(row.inboxUrl),
    endpoints: row.sharedInboxUrl ? { sharedInbox: new URL(row.sharedInboxUrl) } : null,
  };
}

type PostOf = NonNullable<Awaited<ReturnType<typeof getPost>>>;

/** Remote followers of the author, every remote actor the post mentions(ed), the parent's author. */
async function audience(tx: Db, event: PostEvent, post: PostOf): Promise<Recipient[]> {
  const out = new Map<string, Recipient>();
  for (const f of await remoteFollowerInboxes(tx, post.userId)) {
    const r = recipient({
      uri: f.actorUri,
      inboxUrl: f.inboxUrl,
      sharedInboxUrl: f.sharedInboxUrl,
    });
    if (r) out.set(f.actorUri, r);
  }
  const mentioned = [
    ...new Set([
      ...post.mentions.filter((m) => m.userId === null).map((m) => m.actorUri),
      ...(event.formerMentions ?? []),
    ]),
  ];
  const [parent] =
    post.inReplyToId === null
      ? []
      : await tx
          .select({ authorId: statuses.remoteActorId })
          .from(statuses)
          .where(eq(statuses.id, post.inReplyToId));
  const conditions = [
    mentioned.length > 0 ? inArray(remoteActors.uri, mentioned) : undefined,
    parent?.authorId ? eq(remoteActors.id, parent.authorId) : undefined,
  ].filter((c) => c !== undefined);
  if (conditions.length > 0) {
    const actors = await tx
      .select({
        uri: remoteActors.uri,
        inboxUrl: remoteActors.inboxUrl,
        sharedInboxUrl: remoteActors.sharedInboxUrl,
      })
      .from(remoteActors)
      .where(or(...conditions));
    for (const a of actors) {
      const r = recipient(a);
      if (r) out.set(a.uri, r);
    }
  }
  return [...out.values()];
}

/** The port for the domain, bound to this federation and the app's dependencies. */
export function federationSocial(
  federation: Federation<FederationData>,
  deps: Deps,
): SocialFederation {
  const context = (): Context<FederationData> => federationContext(federation, deps);
  const ownOrigin = [new URL(deps.config.origin.href)];

  const sendFollowActivity = async (tx: Db, f: OutgoingFollow, undo: boolean) => {
    const ctx = context();
    const target = recipient(f.actor);
    if (!target) return;
    const self = ctx.getActorUri(f.username);
    const follow = new Follow({
      id: new URL(f.followId),
      actor: self,
      object: new URL(f.actor.uri),
      to: new URL(f.actor.uri),
    });
    const activity = undo
      ? new Undo({
          id: new URL(`${self.href}#undo/${crypto.randomUUID()}`),
          actor: self,
          object: follow,
          to: new URL(f.actor.uri),
        })
      : follow;
    await inOutbox(ctx, tx, () => ctx.sendActivity({ identifier: f.username }, target, activity));
  };

  return {
    lookupActor: (query) => lookupRemoteActor(context(), query),
    queueFollow: (tx, f) => sendFollowActivity(tx, f, false),
    queueUnfollow: (tx, f) => sendFollowActivity(tx, f, true),
    async queuePost(tx, event) {
      const ctx = context();
      const post = await getPost({ db: tx, config: deps.config }, event.statusId);
      if (!post) return;
      const recipients = await audience(tx, event, post);
      if (recipients.length === 0) return;
      const activity =
        event.type === "create"
          ? createOf(ctx, post)
          : event.type === "update"
            ? updateOf(ctx, post)
            : deleteOf(ctx, post);
      await inOutbox(ctx, tx, () =>
        ctx.sendActivity({ identifier: post.username }, recipients, activity, {
          preferSharedInbox: true,
          // Local followers and mentions read this database; nothing goes to ourselves.
          excludeBaseUris: ownOrigin,
          // Create, Update and Delete of one post reach each server in that order.
          orderingKey: post.uri,
        }),
      );
    },
  };
}
