import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_POST_LENGTH,
  mentionsOf,
  normalizePostText,
  postExcerpt,
  postTextProblem,
  type ResolvedMention,
  renderPostHtml,
  tokenizePost,
} from "../../src/social/post-text.ts";
import { htmlToText } from "../../src/social/sanitize.ts";

const none = new Map<string, ResolvedMention>();
const render = (text: string, resolved = none) => renderPostHtml(tokenizePost(text), resolved);
const links = (text: string) =>
  tokenizePost(text).flatMap((t) => (t.type === "url" ? [t.href] : []));

describe("links", () => {
  it("links http(s) URLs with rel nofollow noopener noreferrer, the scheme hidden", () => {
    expect(render("see https://example.com/a")).toBe(
      '<p>see <a href="https://example.com/a" rel="nofollow noopener noreferrer" target="_blank">' +
        '<span class="invisible">https://</span><span>example.com/a</span></a></p>',
    );
  });

  it("gives trailing punctuation and unbalanced brackets back to the text", () => {
    expect(links("go to https://example.com/x. Then")).toEqual(["https://example.com/x"]);
    expect(links("(see https://example.com/x)")).toEqual(["https://example.com/x"]);
    expect(links("wiki https://en.wikipedia.org/wiki/Flattr_(company)!")).toEqual([
      "https://en.wikipedia.org/wiki/Flattr_(company)",
    ]);
    expect(links("https://example.com/?q=1&r=2, and")).toEqual(["https://example.com/?q=1&r=2"]);
  });

  it("links nothing but http and https, and nothing glued to a word", () => {
    expect(links("javascript:alert(1) ftp://example.com mailto:a@b.example")).toEqual([]);
    expect(links("xhttps://example.com https://")).toEqual([]);
  });

  it("cuts long URLs for display, keeping the whole href", () => {
    const url = `https://example.com/${"a".repeat(60)}`;
    const html = render(url);
    expect(html).toContain(`href="${url}"`);
    expect(html).toContain('<span class="ellipsis">');
    expect(htmlToText(html)).toBe(url);
  });

  it("cannot be made to leave its attribute or write markup", () => {
    const html = render(`https://example.com/"onmouseover="alert(1) <script>x</script>`);
    expect(html).toContain('href="https://example.com/"');
    expect(html).not.toContain("<script");
    expect(html).toContain("&quot;onmouseover=&quot;alert(1) &lt;script&gt;");
  });
});

describe("mentions", () => {
  const bob: ResolvedMention = {
    uri: "https://remote.example/users/bob",
    url: "https://remote.example/@bob",
    handle: "@bob@remote.example",
  };
  const alice: ResolvedMention = {
    uri: "https://here.example/users/alice",
    url: "https://here.example/@alice",
    handle: "@alice@here.example",
  };
  const resolved = new Map([
    ["bob@remote.example", bob],
    ["alice@", alice],
  ]);

  it("finds local and remote mentions once each, hosts lowercased", () => {
    const tokens = tokenizePost("@alice hi @Bob@Remote.Example and again @bob@remote.example.");
    expect(mentionsOf(tokens)).toEqual([
      { username: "alice", host: null },
      { username: "Bob", host: "remote.example" },
    ]);
  });

  it("renders resolved mentions as Mastodon's h-card links, others as typed", () => {
    expect(render("thanks @bob@remote.example. cc @alice and @nobody", resolved)).toBe(
      '<p>thanks <span class="h-card" translate="no"><a href="https://remote.example/@bob" ' +
        'class="u-url mention">@<span>bob</span></a></span>. cc <span class="h-card" ' +
        'translate="no"><a href="https://here.example/@alice" class="u-url mention">' +
        "@<span>alice</span></a></span> and @nobody</p>",
    );
  });

  it("keeps ports in hosts (test servers) and leaves e-mail addresses alone", () => {
    expect(mentionsOf(tokenizePost("@bob@127.0.0.1:8080 mail me at me@mail.example"))).toEqual([
      { username: "bob", host: "127.0.0.1:8080" },
    ]);
  });

  it("finds no mentions inside links", () => {
    const tokens = tokenizePost("https://remote.example/@bob/123");
    expect(tokens.map((t) => t.type)).toEqual(["url"]);
  });
});

describe("text", () => {
  it("escapes markup, makes paragraphs at blank lines and <br> at newlines", () => {
    expect(render("<b>&'\"</b>\nline two\n\n\nnext")).toBe(
      "<p>&lt;b&gt;&amp;&#39;&quot;&lt;/b&gt;<br>line two</p><p>next</p>",
    );
  });

  it("unifies line endings and trims", () => {
    expect(normalizePostText("  a\r\nb\rc  \n")).toBe("a\nb\nc");
  });

  it("keeps the text whole: tokens join back to it, and the HTML reads as it", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.constantFrom(
              "https://example.com/a?b=1&c=2",
              "@bob@remote.example",
              "@alice",
              " (",
              ").",
              "\n\n",
              "<script>",
              "&amp;",
              '"',
            ),
          ),
        ),
        (parts) => {
          const text = parts.join("");
          const tokens = tokenizePost(text);
          expect(tokens.map((t) => t.text).join("")).toBe(text);
          const html = renderPostHtml(tokens, none);
          expect(html).not.toMatch(/<(?!\/?(p|br|a|span)\b)/);
          expect(htmlToText(html)).toBe(text.replace(/\s+/g, " ").trim());
        },
      ),
    );
  });
});

describe("what a post may be", () => {
  it(`takes up to ${MAX_POST_LENGTH} characters, counting code points`, () => {
    expect(postTextProblem("a".repeat(MAX_POST_LENGTH))).toBeNull();
    expect(postTextProblem("🎉".repeat(MAX_POST_LENGTH))).toBeNull();
    expect(postTextProblem("a".repeat(MAX_POST_LENGTH + 1))).toMatch(/at most 5000/);
  });

  it("refuses empty text, control characters and broken Unicode", () => {
    expect(postTextProblem("   \n ")).toMatch(/needs some text/);
    for (const bad of ["a\u0000b", "bell\u0007", "del\u007f", "next\u0085line", "cr\r"]) {
      expect(postTextProblem(bad), JSON.stringify(bad)).toMatch(/control characters/);
    }
    expect(postTextProblem("lone \ud800 surrogate")).toMatch(/Unicode/);
    expect(postTextProblem("tab\tand\nnewline")).toBeNull();
  });
});

describe("the thing's title", () => {
  it("is the first words, cut at a word with an ellipsis", () => {
    expect(postExcerpt("short  text\nhere")).toBe("short text here");
    const long = "word ".repeat(40);
    const excerpt = postExcerpt(long);
    expect([...excerpt].length).toBeLessThanOrEqual(80);
    expect(excerpt.endsWith("word…")).toBe(true);
  });
});
