import { getLogger } from "@logtape/logtape";
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { findUserById, findUserByUsername } from "../accounts/users.ts";
import { actorUrl, noteUrl, postUrl, profileUrl } from "../config/urls.ts";
import { type Db, queryRows } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { statuses, statusMentions, things, users } from "../db/schema/index.ts";
import { ok, type Result, refused } from "../errors.ts";
import { hostOf } from "../peers/host.ts";
import { PostError } from "./errors.ts";
import type { PostEvent, SocialDeps } from "./ports.ts";
import {
  MAX_MENTIONS,
  mentionKey,
  mentionsOf,
  normalizePostText,
  postExcerpt,
  postTextProblem,
  type ResolvedMention,
  renderPostHtml,
  tokenizePost,
} from "./post-text.ts";
import { findStatusByUri } from "./remote-statuses.ts";

/*
 * Local posts: the doors every surface calls (pages, REST API, later the Mastodon API) to write,
 * edit and delete one, and the reads that show them. A post is a row in `statuses` (with its
 * author's user id and the text as typed) and a flattrable thing (kind `note`, its object the
 * post's Note id), created together; each door is one transaction that also queues the
 * federation's deliveries (ports.ts), and a failure to queue them never fails the post.
 */

const logger = getLogger(["fediflattr", "social", "posts"]);

export interface PostMention {
  /** The mentioned actor's ActivityPub id. */
  actorUri: string;
  /** `@user@host`. */
  handle: string;
  /** Its HTML profile. */
  url: string;
  /** Set when the mentioned actor is a local user. */
  userId: number | null;
}

export interface Post {
  id: bigint;
  /** The Note's ActivityPub id. */
  uri: string;
  /** The HTML page. */
  url: string;
  userId: number;
  username: string;
  displayName: string;
  /** The text as typed; empty once deleted. */
  contentSource: string;
  /** Rendered from the source; empty once deleted. */
  contentHtml: string;
  inReplyToUri: string | null;
  inReplyToId: bigint | null;
  publishedAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  thingId: number;
  mentions: PostMention[];
}

export interface PostCreated {
  id: bigint;
  uri: string;
  url: string;
  thingId: number;
}

export interface PostInput {
  content: string;
  /** The ActivityPub id (or page URL of a post known here) this post answers. */
  inReplyTo?: string | null;
}

const MAX_URI = 2048;

/** The title of a post's thing, what payers see in their flattrs and statements. */
function thingTitle(username: string, text: string): string {
  return `@${username}: ${postExcerpt(text)}`;
}

/** A mention found for the post, with the local user it names (if any). */
type Found = ResolvedMention & { userId: number | null };

/**
 * The accounts the text mentions, found before any transaction (remote ones may need a
 * look-up over the network). `@name` and `@name@<this host>` are local users; anything else is
 * asked of the federation. Mentions nobody answers for stay plain text. At most MAX_MENTIONS.
 */
async function resolveMentions(
  deps: SocialDeps,
  text: string,
): Promise<{ tokens: ReturnType<typeof tokenizePost>; found: Map<string, Found> }> {
  const tokens = tokenizePost(text);
  const ownHost = deps.config.origin.host.toLowerCase();
  const wanted = mentionsOf(tokens).slice(0, MAX_MENTIONS);
  const results = await Promise.all(
    wanted.map(async ({ username, host }): Promise<[string, Found | null]> => {
      const key = mentionKey(username, host);
      if (host === null || host === ownHost) {
        const user = await findUserByUsername(deps.db, username);
        if (!user) return [key, null];
        return [
          key,
          {
            uri: actorUrl(deps.config, user.username),
            url: profileUrl(deps.config, user.username),
            handle: `@${user.username}@${deps.config.origin.host}`,
            userId: user.id,
          },
        ];
      }
      let actor = null;
      try {
        actor = await deps.federation.lookupActor(`${username}@${host}`);
      } catch (error) {
        logger.info("Mention @{username}@{host} not found: {error}", { username, host, error });
      }
      if (!actor || actor.goneAt) return [key, null];
      return [
        key,
        {
          uri: actor.uri,
          url: actor.url ?? actor.uri,
          handle: `@${actor.handle ?? `${username}@${host}`}`,
          userId: null,
        },
      ];
    }),
  );
  const found = new Map<string, Found>();
  for (const [key, mention] of results) if (mention) found.set(key, mention);
  return { tokens, found };
}

/** The rendered post, or why its text cannot be one. */
async function render(
  deps: SocialDeps,
  raw: string,
): Promise<Result<{ source: string; html: string; mentions: Found[] }, PostError>> {
  if (typeof raw !== "string") return refused(new PostError("invalid_content", "No text given."));
  const source = normalizePostText(raw);
  const problem = postTextProblem(source);
  if (problem) return refused(new PostError("invalid_content", problem));
  const { tokens, found } = await resolveMentions(deps, source);
  const mentions = [...new Map([...found.values()].map((m) => [m.uri, m])).values()];
  return ok({ source, html: renderPostHtml(tokens, found), mentions });
}

/**
 * The id of a local post named by its Note id or its page URL (`/users/name/posts/{id}`,
 * `/@name/posts/{id}` on this origin), or null. Parsed, not looked up: the uri is indexed, the
 * page URL is not.
 */
export function localPostIdOf(config: SocialDeps["config"], uri: string): bigint | null {
  if (!URL.canParse(uri)) return null;
  const url = new URL(uri);
  if (url.origin !== config.origin.origin) return null;
  const m = /^\/(?:users\/|@)[A-Za-z0-9_]{1,30}\/posts\/([0-9]{1,19})$/.exec(url.pathname);
  return m ? parsePostId(m[1]) : null;
}

/** The post being answered: one we store (by uri, or a local post's page), or any http(s) URI. */
async function replyTarget(
  deps: SocialDeps,
  raw: string | null | undefined,
): Promise<Result<{ uri: string; id: bigint | null } | null, PostError>> {
  const given = typeof raw === "string" ? raw.trim() : "";
  if (given === "") return ok(null);
  if (given.length > MAX_URI || hostOf(given) === null)
    return refused(
      new PostError("invalid_reply", "in_reply_to must be the http(s) address of a post."),
    );
  const localId = localPostIdOf(deps.config, given);
  const parent =
    localId !== null
      ? await deps.db
          .select({ id: statuses.id, uri: statuses.uri })
          .from(statuses)
          .where(eq(statuses.id, localId))
          .then((r) => r[0] ?? null)
      : await findStatusByUri(deps.db, given);
  return ok(parent ? { uri: parent.uri, id: parent.id } : { uri: given, id: null });
}

/**
 * Queues the deliveries of a post change inside its transaction, in a savepoint: whatever goes
 * wrong there (a bug building the activity, a key that cannot be loaded) is logged and undone,
 * and the post itself still commits. The queue retries deliveries; this is only their creation.
 */
async function queueSafely(tx: Db, deps: SocialDeps, event: PostEvent): Promise<void> {
  try {
    await tx.transaction(async (sp) => {
      await deps.federation.queuePost(sp as Db, event);
    });
  } catch (error) {
    logger.error("Could not queue the {type} of post {id}: {error}", {
      type: event.type,
      id: String(event.statusId),
      error,
    });
  }
}

async function insertMentions(tx: Db, statusId: bigint, mentions: Found[]): Promise<void> {
  if (mentions.length === 0) return;
  await tx
    .insert(statusMentions)
    .values(mentions.map((m) => ({ statusId, actorUri: m.uri, userId: m.userId })))
    .onConflictDoNothing();
}

/**
 * Writes a post for a local user: the status, its thing (kind `note`, owned by the author, its
 * object the Note id) and its mentions in one transaction that also queues the `Create` to
 * followers and mentioned accounts. Refused: invalid_content, invalid_reply.
 */
export async function createPost(
  deps: SocialDeps,
  userId: number,
  input: PostInput,
): Promise<Result<PostCreated, PostError>> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw new Error(`createPost: no user ${userId}`);
  const reply = await replyTarget(deps, input.inReplyTo);
  if (!reply.ok) return reply;
  const rendered = await render(deps, input.content);
  if (!rendered.ok) return rendered;
  const { source, html, mentions } = rendered.value;

  const now = deps.clock.now();
  const id = newId(now);
  const uri = noteUrl(deps.config, user.username, id);
  const url = postUrl(deps.config, user.username, id);
  return deps.db.transaction(async (tx) => {
    const [thing] = await tx
      .insert(things)
      .values({
        ownerKind: "local",
        ownerId: user.id,
        kind: "note",
        url,
        urlNormalized: url,
        objectUri: uri,
        title: thingTitle(user.username, source),
        createdAt: now,
      })
      .returning({ id: things.id });
    await tx.insert(statuses).values({
      id,
      uri,
      url,
      userId: user.id,
      contentSource: source,
      contentHtml: html,
      inReplyToUri: reply.value?.uri ?? null,
      inReplyToId: reply.value?.id ?? null,
      visibility: "public",
      publishedAt: now,
      thingId: thing!.id,
    });
    await insertMentions(tx as Db, id, mentions);
    await queueSafely(tx as Db, deps, { type: "create", statusId: id });
    return ok({ id, uri, url, thingId: thing!.id });
  });
}

/** The author's live post, or why it cannot be changed. */
async function ownPost(
  db: Db,
  userId: number,
  postId: bigint,
): Promise<Result<typeof statuses.$inferSelect, PostError>> {
  const [row] = await db.select().from(statuses).where(eq(statuses.id, postId));
  if (!row || row.userId === null || row.deletedAt !== null)
    return refused(new PostError("post_not_found", "There is no such post."));
  if (row.userId !== userId)
    return refused(new PostError("not_author", "Only its author can change a post."));
  return ok(row);
}

async function mentionUris(db: Db, statusId: bigint): Promise<string[]> {
  const rows = await db
    .select({ actorUri: statusMentions.actorUri })
    .from(statusMentions)
    .where(eq(statusMentions.statusId, statusId));
  return rows.map((r) => r.actorUri);
}

/**
 * Replaces a post's text (mentions found again) and queues an `Update` to its followers and to
 * everyone it mentioned before or now. The same text again changes nothing. Refused:
 * post_not_found (also once deleted), not_author, invalid_content.
 */
export async function editPost(
  deps: SocialDeps,
  userId: number,
  postId: bigint,
  input: { content: string },
): Promise<Result<PostCreated, PostError>> {
  const post = await ownPost(deps.db, userId, postId);
  if (!post.ok) return post;
  const user = await findUserById(deps.db, userId);
  if (!user) throw new Error(`editPost: no user ${userId}`);
  const rendered = await render(deps, input.content);
  if (!rendered.ok) return rendered;
  const { source, html, mentions } = rendered.value;
  const row = post.value;
  const done = ok({ id: row.id, uri: row.uri, url: row.url!, thingId: row.thingId! });
  if (source === row.contentSource) return done;

  return deps.db.transaction(async (tx) => {
    const former = await mentionUris(tx as Db, row.id);
    const updated = await tx
      .update(statuses)
      .set({ contentSource: source, contentHtml: html, editedAt: deps.clock.now() })
      .where(and(eq(statuses.id, row.id), isNull(statuses.deletedAt)))
      .returning({ id: statuses.id });
    // Deleted between the check and now: nothing to edit any more.
    if (updated.length === 0)
      return refused(new PostError("post_not_found", "There is no such post."));
    await tx.delete(statusMentions).where(eq(statusMentions.statusId, row.id));
    await insertMentions(tx as Db, row.id, mentions);
    await tx
      .update(things)
      .set({ title: thingTitle(user.username, source) })
      .where(eq(things.id, row.thingId!));
    await queueSafely(tx as Db, deps, {
      type: "update",
      statusId: row.id,
      formerMentions: former,
    });
    return done;
  });
}

/**
 * Deletes a post: the row stays (its thing and every flattr of it are money history), its text
 * goes, the thing says it was deleted, and a `Delete` is queued to its followers and mentions.
 * Refused: post_not_found (also when already deleted), not_author.
 */
export async function deletePost(
  deps: SocialDeps,
  userId: number,
  postId: bigint,
): Promise<Result<{ id: bigint; thingId: number }, PostError>> {
  const post = await ownPost(deps.db, userId, postId);
  if (!post.ok) return post;
  const row = post.value;
  const user = await findUserById(deps.db, userId);
  return deps.db.transaction(async (tx) => {
    const deleted = await tx
      .update(statuses)
      .set({ deletedAt: deps.clock.now(), contentSource: "", contentHtml: "", summary: "" })
      .where(and(eq(statuses.id, row.id), isNull(statuses.deletedAt)))
      .returning({ id: statuses.id });
    if (deleted.length === 0)
      return refused(new PostError("post_not_found", "There is no such post."));
    await tx
      .update(things)
      .set({ title: `A deleted post by @${user?.username ?? "?"}`, description: "" })
      .where(eq(things.id, row.thingId!));
    // Mentions stay: the Delete goes to the same people the post went to.
    await queueSafely(tx as Db, deps, { type: "delete", statusId: row.id });
    return ok({ id: row.id, thingId: row.thingId! });
  });
}

/** A post id from a path or API parameter: a positive int8 as decimal digits, else null. */
export function parsePostId(raw: string | undefined): bigint | null {
  if (!raw || !/^[1-9][0-9]{0,18}$/.test(raw)) return null;
  const id = BigInt(raw);
  return id <= 9223372036854775807n ? id : null;
}

const postColumns = {
  id: statuses.id,
  uri: statuses.uri,
  url: statuses.url,
  userId: statuses.userId,
  username: users.username,
  displayName: users.displayName,
  contentSource: statuses.contentSource,
  contentHtml: statuses.contentHtml,
  inReplyToUri: statuses.inReplyToUri,
  inReplyToId: statuses.inReplyToId,
  publishedAt: statuses.publishedAt,
  editedAt: statuses.editedAt,
  deletedAt: statuses.deletedAt,
  thingId: statuses.thingId,
};

type PostRow = {
  [K in keyof typeof postColumns]: (typeof postColumns)[K]["_"]["data"] | null;
};

/** The mentions of these posts with handles and profile URLs, by status id. */
async function mentionsByStatus(
  deps: Pick<SocialDeps, "db" | "config">,
  ids: bigint[],
): Promise<Map<bigint, PostMention[]>> {
  const byStatus = new Map<bigint, PostMention[]>();
  if (ids.length === 0) return byStatus;
  type Row = {
    status_id: string;
    actor_uri: string;
    user_id: string | null;
    username: string | null;
    handle: string | null;
    url: string | null;
  };
  const rows = await queryRows<Row>(
    deps.db,
    sql`select m.status_id::text as status_id, m.actor_uri, m.user_id::text as user_id,
               u.username, ra.handle, ra.url
          from status_mentions m
          left join users u on u.id = m.user_id
          left join remote_actors ra on ra.uri = m.actor_uri
         where m.status_id in (${sql.join(
           ids.map((id) => sql`${id}`),
           sql`, `,
         )})
         order by m.actor_uri`,
  );
  for (const r of rows) {
    const id = BigInt(r.status_id);
    const mention: PostMention =
      r.username !== null
        ? {
            actorUri: r.actor_uri,
            handle: `@${r.username}@${deps.config.origin.host}`,
            url: profileUrl(deps.config, r.username),
            userId: r.user_id === null ? null : Number(r.user_id),
          }
        : {
            actorUri: r.actor_uri,
            handle: r.handle ? `@${r.handle}` : r.actor_uri,
            url: r.url ?? r.actor_uri,
            userId: null,
          };
    byStatus.set(id, [...(byStatus.get(id) ?? []), mention]);
  }
  return byStatus;
}

function toPost(row: PostRow, mentions: PostMention[]): Post {
  return {
    id: row.id!,
    uri: row.uri!,
    url: row.url ?? row.uri!,
    userId: row.userId!,
    username: row.username!,
    displayName: row.displayName ?? "",
    contentSource: row.contentSource ?? "",
    contentHtml: row.contentHtml ?? "",
    inReplyToUri: row.inReplyToUri,
    inReplyToId: row.inReplyToId,
    publishedAt: row.publishedAt!,
    editedAt: row.editedAt,
    deletedAt: row.deletedAt,
    thingId: row.thingId!,
    mentions,
  };
}

/** A local post by id, deleted ones included (their pages say so); null for anything else. */
export async function getPost(
  deps: Pick<SocialDeps, "db" | "config">,
  postId: bigint,
): Promise<Post | null> {
  const [row] = await deps.db
    .select(postColumns)
    .from(statuses)
    .innerJoin(users, eq(users.id, statuses.userId))
    .where(eq(statuses.id, postId));
  if (!row) return null;
  const mentions = await mentionsByStatus(deps, [row.id]);
  return toPost(row, mentions.get(row.id) ?? []);
}

/** The local post that is this thing, if the thing is a post (deleted ones included). */
export async function findPostByThing(
  deps: Pick<SocialDeps, "db" | "config">,
  thingId: number,
): Promise<Post | null> {
  const [row] = await deps.db
    .select({ id: statuses.id })
    .from(statuses)
    .where(and(eq(statuses.thingId, thingId), sql`${statuses.userId} is not null`));
  return row ? getPost(deps, row.id) : null;
}

/**
 * A user's live posts, newest first: `limit` of them older than `maxId` (exclusive), or newer
 * than `minId` (exclusive, still newest first). Ids sort by publication time.
 */
export async function listPostsByUser(
  deps: Pick<SocialDeps, "db" | "config">,
  userId: number,
  page: { maxId?: bigint | null; minId?: bigint | null; limit: number },
): Promise<Post[]> {
  const rows = await deps.db
    .select(postColumns)
    .from(statuses)
    .innerJoin(users, eq(users.id, statuses.userId))
    .where(
      and(
        eq(statuses.userId, userId),
        isNull(statuses.deletedAt),
        page.maxId != null ? lt(statuses.id, page.maxId) : undefined,
        page.minId != null ? sql`${statuses.id} > ${page.minId}` : undefined,
      ),
    )
    .orderBy(desc(statuses.id))
    .limit(Math.max(1, Math.min(page.limit, 100)));
  const mentions = await mentionsByStatus(
    deps,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toPost(r, mentions.get(r.id) ?? []));
}

/** How many live posts a user has (the outbox's totalItems). */
export async function countPostsByUser(db: Db, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<string>`count(*)::text` })
    .from(statuses)
    .where(and(eq(statuses.userId, userId), isNull(statuses.deletedAt)));
  return Number(row?.n ?? 0);
}

/** Whether a URI names one of the local posts (replies to them are kept from anyone). */
export async function isLocalPostUri(
  deps: Pick<SocialDeps, "db" | "config">,
  uri: string,
): Promise<boolean> {
  const id = localPostIdOf(deps.config, uri);
  if (id === null) return false;
  const [row] = await deps.db
    .select({ id: statuses.id })
    .from(statuses)
    .where(and(eq(statuses.id, id), sql`${statuses.userId} is not null`));
  return row !== undefined;
}
