import type { Context, Federation } from "@fedify/fedify";
import {
  Create,
  Delete,
  Link,
  Mention,
  Note,
  PUBLIC_COLLECTION,
  Source,
  Tombstone,
  Update,
} from "@fedify/vocab";
import { flattrUrl, NOTE_PATH_TEMPLATE } from "../http/urls.ts";
import { getPost, type Post, parsePostId } from "../social/posts.ts";
import type { FederationData } from "./federation.ts";
import { dbOf } from "./outbox.ts";
import { instantOf } from "./vocab/time.ts";

/*
 * Local posts as ActivityPub: each is a `Note` at its own id (`/users/{username}/posts/{id}`),
 * served there to ActivityPub clients (browsers get the HTML page: src/web/pages/posts.tsx), and
 * the Create/Update/Delete activities that carry it to followers. The shape is the one
 * Mastodon's create.rb accepts: an id on the author's origin, attributedTo the author, HTML
 * content, published, to Public and cc the followers and mentioned accounts, Mention tags.
 */

/** FEP-0ea0: where any server sends people to flattr this post (its thing's flattr page). */
export function paymentLink(href: string): Link {
  return new Link({ rel: "payment", href: new URL(href), mediaType: "text/html" });
}

/** The addressing of a public post: everyone, the author's followers, the mentioned actors. */
function audience(ctx: Context<FederationData>, post: Post) {
  return {
    to: PUBLIC_COLLECTION,
    ccs: [ctx.getFollowersUri(post.username), ...post.mentions.map((m) => new URL(m.actorUri))],
  };
}

/** A live post as a `Note`. */
export function noteOf(ctx: Context<FederationData>, post: Post): Note {
  return new Note({
    id: new URL(post.uri),
    attribution: ctx.getActorUri(post.username),
    content: post.contentHtml,
    source: new Source({ content: post.contentSource, mediaType: "text/plain" }),
    published: instantOf(post.publishedAt),
    // Only once edited: Mastodon takes `updated` for "edited at" even on a Create.
    updated: post.editedAt ? instantOf(post.editedAt) : null,
    ...audience(ctx, post),
    replyTarget: post.inReplyToUri ? new URL(post.inReplyToUri) : null,
    tags: post.mentions.map((m) => new Mention({ href: new URL(m.actorUri), name: m.handle })),
    url: new URL(post.url),
    sensitive: false,
    attachments: [paymentLink(flattrUrl(ctx.data.config, post.thingId))],
  });
}

/** The id of a post's Create: stable, so the outbox lists the same activity that was sent. */
export const createIdOf = (post: Post) => new URL(`${post.uri}/activity`);

export function createOf(ctx: Context<FederationData>, post: Post): Create {
  return new Create({
    id: createIdOf(post),
    actor: ctx.getActorUri(post.username),
    object: noteOf(ctx, post),
    published: instantOf(post.publishedAt),
    ...audience(ctx, post),
  });
}

export function updateOf(ctx: Context<FederationData>, post: Post): Update {
  const at = post.editedAt ?? ctx.data.clock.now();
  return new Update({
    // One id per edit: each Update is a new activity.
    id: new URL(`${post.uri}#updates/${at.getTime()}`),
    actor: ctx.getActorUri(post.username),
    object: noteOf(ctx, post),
    updated: instantOf(at),
    ...audience(ctx, post),
  });
}

export function deleteOf(ctx: Context<FederationData>, post: Post): Delete {
  const at = post.deletedAt ?? ctx.data.clock.now();
  return new Delete({
    id: new URL(`${post.uri}#delete`),
    actor: ctx.getActorUri(post.username),
    object: new Tombstone({ id: new URL(post.uri), deleted: instantOf(at) }),
    ...audience(ctx, post),
  });
}

/** The post a Note route names, live and by that author, or null (deleted ones: the 410 page). */
export async function livePost(
  ctx: Context<FederationData>,
  identifier: string,
  rawId: string,
): Promise<Post | null> {
  const id = parsePostId(rawId);
  if (id === null) return null;
  const post = await getPost({ db: dbOf(ctx), config: ctx.data.config }, id);
  return post && post.username === identifier && post.deletedAt === null ? post : null;
}

export function registerNotes(federation: Federation<FederationData>): void {
  federation.setObjectDispatcher(Note, NOTE_PATH_TEMPLATE, async (ctx, { identifier, id }) => {
    const post = await livePost(ctx, identifier, id);
    return post && noteOf(ctx, post);
  });
}
