/*
 * A local post is plain text as its author typed it; what other servers and pages show is HTML
 * rendered from it here, once, when it is written. Pure: no database, no network. Links and
 * mentions are found by the tokenizer; which mentions name a real account is decided by the
 * caller (posts.ts), and only those become links.
 */

/** Characters (code points), as Mastodon counts them. */
export const MAX_POST_LENGTH = 5000;
/** Accounts one post may mention: each is a delivery, a post is not a mailing list. */
export const MAX_MENTIONS = 50;

export type Token =
  | { type: "text"; text: string }
  | { type: "url"; text: string; href: string }
  /** `@name` (host null: this instance) or `@name@host`. */
  | { type: "mention"; text: string; username: string; host: string | null };

/** A mention that names a real account: where its link goes and who it is. */
export interface ResolvedMention {
  /** The actor's ActivityPub id (the `Mention` tag's href). */
  uri: string;
  /** Its HTML profile, the link people follow. */
  url: string;
  /** `@user@host` in full, the `Mention` tag's name. */
  handle: string;
}

/** Why a text cannot be a post, in words for its author; null when it can. */
export function postTextProblem(text: string): string | null {
  if (!text.isWellFormed()) return "The text is not valid Unicode.";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f))
      return "The text contains control characters.";
  }
  if (text.trim() === "") return "A post needs some text.";
  const length = [...text].length;
  if (length > MAX_POST_LENGTH)
    return `A post has at most ${MAX_POST_LENGTH} characters; this one has ${length}.`;
  return null;
}

/** The text as stored: line endings unified (\r\n and \r count as one newline), ends trimmed. */
export function normalizePostText(raw: string): string {
  return raw.replace(/\r\n?/g, "\n").trim();
}

// A link starts with http(s):// after a boundary and runs to whitespace or a character that
// cannot be in a URL as people paste them; trailing punctuation is then given back to the text.
const URL_RE = /(?<![\p{L}\p{N}_/@.])https?:\/\/[^\s<>"`{}|\\^\p{Cc}]+/giu;
// `@name` or `@name@host[:port]`, not inside a word, an e-mail address or a URL path.
const MENTION_RE =
  /(?<![\p{L}\p{N}_@/.:])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?)(?:@([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?))?/gu;

/** A URL candidate without the punctuation that ends a sentence or closes a bracket around it. */
function trimUrl(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url.at(-1);
    if (last === undefined) return url;
    if (".,:;!?'\"*".includes(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const pair: Record<string, string> = { ")": "(", "]": "[" };
    const open = pair[last];
    if (open && count(url, open) < count(url, last)) {
      url = url.slice(0, -1);
      continue;
    }
    return url;
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

function isHttpUrl(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const url = new URL(s);
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
}

/** The text cut into plain text, links and mentions, in order; joined, they give the text back. */
export function tokenizePost(text: string): Token[] {
  const found: { start: number; end: number; token: Token }[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const url = trimUrl(m[0]);
    if (url.length > "https://".length && isHttpUrl(url))
      found.push({
        start: m.index,
        end: m.index + url.length,
        token: { type: "url", text: url, href: url },
      });
  }
  const inUrl = (i: number) => found.some((f) => f.start <= i && i < f.end);
  for (const m of text.matchAll(MENTION_RE)) {
    if (inUrl(m.index)) continue;
    let whole = m[0];
    let host = m[2] ?? null;
    // A host ending a sentence keeps its full stop in the text ("thanks @a@b.example.").
    if (host?.endsWith(".")) {
      host = host.replace(/\.+$/, "");
      whole = whole.slice(0, whole.length - (m[2]!.length - host.length));
    }
    found.push({
      start: m.index,
      end: m.index + whole.length,
      token: { type: "mention", text: whole, username: m[1]!, host },
    });
  }
  found.sort((a, b) => a.start - b.start);
  const tokens: Token[] = [];
  let at = 0;
  for (const f of found) {
    if (f.start < at) continue;
    if (f.start > at) tokens.push({ type: "text", text: text.slice(at, f.start) });
    tokens.push(f.token);
    at = f.end;
  }
  if (at < text.length) tokens.push({ type: "text", text: text.slice(at) });
  return tokens;
}

/** The distinct mentions of a text as `name` or `name@host` (host lowercased), in order. */
export function mentionsOf(tokens: Token[]): { username: string; host: string | null }[] {
  const seen = new Set<string>();
  const out: { username: string; host: string | null }[] = [];
  for (const t of tokens) {
    if (t.type !== "mention") continue;
    const host = t.host?.toLowerCase() ?? null;
    const key = mentionKey(t.username, host);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ username: t.username, host });
  }
  return out;
}

/** How a mention is looked up among resolved ones: case-insensitive, like handles. */
export function mentionKey(username: string, host: string | null): string {
  return `${username}@${host ?? ""}`.toLowerCase();
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const URL_SHOWN = 30;

/** A link as Mastodon writes one: the scheme hidden, long paths cut with an ellipsis. */
function linkHtml(href: string): string {
  const scheme = /^https?:\/\//i.exec(href)![0];
  const rest = href.slice(scheme.length);
  const shown = [...rest];
  const visible =
    shown.length > URL_SHOWN
      ? `<span class="ellipsis">${escapeHtml(shown.slice(0, URL_SHOWN).join(""))}</span>` +
        `<span class="invisible">${escapeHtml(shown.slice(URL_SHOWN).join(""))}</span>`
      : `<span>${escapeHtml(rest)}</span>`;
  return (
    `<a href="${escapeHtml(href)}" rel="nofollow noopener noreferrer" target="_blank">` +
    `<span class="invisible">${escapeHtml(scheme)}</span>${visible}</a>`
  );
}

/** A mention as Mastodon writes one (an h-card), so that every client styles it as a mention. */
function mentionHtml(token: { username: string }, mention: ResolvedMention): string {
  return (
    `<span class="h-card" translate="no"><a href="${escapeHtml(mention.url)}" class="u-url mention">` +
    `@<span>${escapeHtml(token.username)}</span></a></span>`
  );
}

/**
 * The post's HTML: paragraphs at blank lines, `<br>` at single newlines, links, and mentions of
 * the accounts in `resolved` (keyed by mentionKey); everything else is escaped text. Mentions
 * nobody could find stay the text that was typed, as on Mastodon.
 */
export function renderPostHtml(
  tokens: Token[],
  resolved: ReadonlyMap<string, ResolvedMention>,
): string {
  let inline = "";
  for (const t of tokens) {
    if (t.type === "url") inline += linkHtml(t.href);
    else if (t.type === "mention") {
      const mention = resolved.get(mentionKey(t.username, t.host?.toLowerCase() ?? null));
      inline += mention ? mentionHtml(t, mention) : escapeHtml(t.text);
    } else inline += escapeHtml(t.text);
  }
  // Newlines are only ever in text tokens, which were escaped, so splitting the HTML is safe.
  return inline
    .split(/\n[ \t]*\n\s*/)
    .map((p) => `<p>${p.replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/** A short plain-text title for the post's thing (statements, flattr lists): its first words. */
export function postExcerpt(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = [...flat];
  if (chars.length <= max) return flat;
  const cut = chars.slice(0, max - 1).join("");
  const atWord = cut.replace(/\s+\S*$/, "");
  return `${atWord.length >= max / 2 ? atWord : cut}…`;
}
