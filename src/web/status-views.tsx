import { raw } from "hono/html";
import type { Config } from "../config/config.ts";
import { flattrPath, postEditPath } from "../http/urls.ts";
import { MAX_POST_LENGTH } from "../social/post-text.ts";
import type { Post } from "../social/posts.ts";
import type { TimelineEntry } from "../social/timelines.ts";
import { CsrfField } from "./layout.tsx";

/*
 * How a status (a local post or a remote note) looks on every page: author, time, the HTML
 * (ours rendered from plain text, remote ones sanitised when they arrived, so both are shown as
 * HTML), a flattr link, and the author's own edit and delete.
 */

/** Styles for statuses, including Mastodon's link classes (its HTML hides `invisible` spans). */
export const STATUS_CSS = `
.status { border-bottom: 1px solid var(--line); padding: 0.8rem 0; overflow-wrap: anywhere; }
.status .meta { color: var(--muted); font-size: 0.9rem; display: flex; gap: 0.5rem;
  flex-wrap: wrap; align-items: baseline; }
.status .meta .who { color: var(--fg); font-weight: 600; text-decoration: none; }
.status .content p { margin: 0.4rem 0; }
.status .actions { display: flex; gap: 1rem; align-items: center; font-size: 0.9rem;
  flex-wrap: wrap; }
.status .actions form { margin: 0; }
.invisible { font-size: 0; line-height: 0; display: inline-block; width: 0; height: 0;
  position: absolute; }
.ellipsis::after { content: "…"; }
.compose { display: grid; gap: 0.5rem; margin: 1rem 0; }
.compose textarea { width: 100%; }
`;

export const statusHead = () => <style>{raw(STATUS_CSS)}</style>;

/** What every status shows, whatever kind it is. */
export interface StatusView {
  url: string;
  author: { name: string; handle: string; url: string };
  contentHtml: string;
  inReplyToUri: string | null;
  publishedAt: Date;
  editedAt: Date | null;
  thingId: number | null;
  /** Set when the viewer wrote it: they may edit and delete. */
  ownPostId?: bigint;
}

export function postView(config: Config, post: Post, viewerId: number | null): StatusView {
  return {
    url: post.url,
    author: {
      name: post.displayName || post.username,
      handle: `${post.username}@${config.origin.host}`,
      url: `/@${post.username}`,
    },
    contentHtml: post.contentHtml,
    inReplyToUri: post.inReplyToUri,
    publishedAt: post.publishedAt,
    editedAt: post.editedAt,
    thingId: post.thingId,
    ownPostId: viewerId === post.userId ? post.id : undefined,
  };
}

export function entryView(entry: TimelineEntry, viewerId: number | null): StatusView {
  return {
    url: entry.url,
    author: entry.author,
    contentHtml: entry.contentHtml,
    inReplyToUri: entry.inReplyToUri,
    publishedAt: entry.publishedAt,
    editedAt: entry.editedAt,
    thingId: entry.thingId,
    ownPostId: viewerId !== null && viewerId === entry.author.userId ? entry.id : undefined,
  };
}

export function formatTime(config: Config, at: Date): string {
  return at.toLocaleString("en-GB", {
    timeZone: config.timeZone,
    dateStyle: "medium",
    timeStyle: "short",
  });
}

export function Status(props: { config: Config; status: StatusView; csrfToken: string }) {
  const { status: s, config } = props;
  return (
    <article class="status" data-testid="status">
      <div class="meta">
        <a class="who" href={s.author.url}>
          {s.author.name}
        </a>
        <span>@{s.author.handle}</span>
        <a href={s.url}>
          <time datetime={s.publishedAt.toISOString()}>{formatTime(config, s.publishedAt)}</time>
        </a>
        {s.editedAt && <span>(edited)</span>}
      </div>
      {s.inReplyToUri && /^https?:\/\//i.test(s.inReplyToUri) && (
        <div class="meta">
          In reply to{" "}
          <a href={s.inReplyToUri} rel="nofollow noopener noreferrer">
            {s.inReplyToUri}
          </a>
        </div>
      )}
      <div class="content">{raw(s.contentHtml)}</div>
      <div class="actions">
        {s.thingId !== null && s.ownPostId === undefined && (
          <a href={flattrPath(s.thingId)}>Flattr</a>
        )}
        {s.ownPostId !== undefined && (
          <>
            <a href={postEditPath(s.ownPostId)}>Edit</a>
            <form method="post" action={`/posts/${s.ownPostId}/delete`}>
              <CsrfField token={props.csrfToken} />
              <button type="submit" class="link">
                Delete
              </button>
            </form>
          </>
        )}
      </div>
    </article>
  );
}

/** The box to write a post (or a reply). */
export function Compose(props: {
  csrfToken: string;
  content?: string;
  inReplyTo?: string;
  action?: string;
  submit?: string;
}) {
  return (
    <form method="post" action={props.action ?? "/posts"} class="compose">
      <CsrfField token={props.csrfToken} />
      {props.inReplyTo && <input type="hidden" name="in_reply_to" value={props.inReplyTo} />}
      <label>
        {props.inReplyTo ? "Your reply" : "Write a post"}
        <textarea name="content" rows={4} required>
          {props.content ?? ""}
        </textarea>
        <small>
          Plain text up to {MAX_POST_LENGTH.toLocaleString("en")} characters; links and @user@server
          mentions are recognised. Each post can be flattred.
        </small>
      </label>
      <button type="submit">{props.submit ?? "Post"}</button>
    </form>
  );
}
