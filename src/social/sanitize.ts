import sanitizeHtml from "sanitize-html";

/*
 * HTML from other servers (notes, bios) is stored only after this: the elements and attributes
 * Mastodon itself keeps (its Sanitize::Config::MASTODON_STRICT, roughly), links forced to
 * http(s)/mailto with rel="nofollow noopener noreferrer" and target=_blank. Whatever else a remote
 * server sends (scripts, styles, event handlers, iframes, images) is dropped, so a page or an app
 * that shows it can render it as HTML.
 */

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "sub",
    "sup",
  ],
  allowedAttributes: {
    a: ["href", "rel", "class", "translate"],
    span: ["class", "translate"],
    ol: ["start", "reversed"],
    li: ["value"],
    p: ["class"],
  },
  // Mastodon's own classes for mentions, hashtags and shortened links; nothing else.
  allowedClasses: {
    a: ["mention", "hashtag", "u-url", "unhandled-link", "status-link"],
    span: ["h-card", "invisible", "ellipsis", "quote-inline"],
    p: ["quote-inline"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowProtocolRelative: false,
  transformTags: {
    a: sanitizeHtml.simpleTransform("a", {
      rel: "nofollow noopener noreferrer",
      target: "_blank",
    }),
  },
  // target is set by the transform above; allow it through.
  allowedSchemesAppliedToAttributes: ["href"],
};
OPTIONS.allowedAttributes = {
  ...(OPTIONS.allowedAttributes as Record<string, string[]>),
  a: ["href", "rel", "class", "translate", "target"],
};

/** Remote HTML made safe to store and show. */
export function sanitizeRemoteHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}

/** Remote HTML as plain text (titles, previews): tags dropped, whitespace folded. */
export function htmlToText(html: string): string {
  const text = sanitizeHtml(html.replace(/<br\s*\/?>|<\/p>\s*<p[^>]*>/gi, " "), {
    allowedTags: [],
    allowedAttributes: {},
  });
  return text
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}
