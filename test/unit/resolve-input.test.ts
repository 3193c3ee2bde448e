import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localTarget, parseResolveInput } from "../../src/flattr/resolve-input.ts";
import { remoteTitle } from "../../src/flattr/resolve-things.ts";

const handle = (username: string, host: string) => ({
  ok: true,
  input: { kind: "handle", username, host },
});

describe("parseResolveInput", () => {
  it("reads every handle form", () => {
    for (const text of [
      "@alice@example.org",
      "alice@example.org",
      "acct:alice@example.org",
      "ACCT:alice@example.org",
      "acct:@alice@example.org",
      "  @alice@Example.ORG \n",
    ])
      expect(parseResolveInput(text), text).toEqual(handle("alice", "example.org"));
    expect(parseResolveInput("@bob@127.0.0.1:8081")).toEqual(handle("bob", "127.0.0.1:8081"));
    expect(parseResolveInput("@bob@[::1]:8081")).toEqual(handle("bob", "[::1]:8081"));
    expect(parseResolveInput("@jörg@bücher.example")).toEqual(
      handle("jörg", "xn--bcher-kva.example"),
    );
    expect(parseResolveInput("@a.b-c_d@example.org")).toEqual(handle("a.b-c_d", "example.org"));
  });

  it("reads http(s) addresses, without their fragment", () => {
    expect(parseResolveInput("https://Example.org/@alice/123#top")).toEqual({
      ok: true,
      input: { kind: "url", url: "https://example.org/@alice/123" },
    });
    expect(parseResolveInput("http://127.0.0.1:8081/users/bob")).toEqual({
      ok: true,
      input: { kind: "url", url: "http://127.0.0.1:8081/users/bob" },
    });
  });

  it("refuses junk with a reason", () => {
    for (const text of [
      "",
      "   ",
      "alice",
      "@alice",
      "@alice@",
      "@@example.org",
      "@alice@example.org/path",
      "@alice@exa mple.org",
      "@a@b@c",
      "acct:alice",
      "acct:a@b@c",
      "alice@example.org?x=1",
      "ftp://example.org/x",
      "javascript:alert(1)",
      "https://",
      "https://user:pw@example.org/",
      "https://example.org/a\nb",
      "@al/ice@example.org",
      `https://example.org/${"a".repeat(2100)}`,
      "mailto:alice@example.org",
    ]) {
      const r = parseResolveInput(text);
      expect(r.ok, JSON.stringify(text)).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(10);
    }
  });

  it("never throws, and whatever it accepts is a usable handle or address", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.emailAddress()), (text) => {
        const r = parseResolveInput(text);
        if (!r.ok) return;
        if (r.input.kind === "url") {
          expect(new URL(r.input.url).protocol).toMatch(/^https?:$/);
        } else {
          expect(r.input.username).not.toMatch(/[@/\s]/);
          expect(new URL(`https://${r.input.host}/`).host).toBe(r.input.host);
        }
      }),
    );
  });

  it("reads any e-mail-shaped handle back as user and host", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9_]{1,30}$/), fc.domain(), (user, domain) => {
        const r = parseResolveInput(`@${user}@${domain}`);
        expect(r).toEqual(handle(user, new URL(`https://${domain}`).host));
      }),
    );
  });
});

describe("localTarget", () => {
  const origin = new URL("https://flattr.example");
  it("names users, things and other objects on our origin only", () => {
    expect(localTarget("https://flattr.example/users/alice", origin)).toEqual({
      kind: "user",
      username: "alice",
    });
    expect(localTarget("https://flattr.example/@alice", origin)).toEqual({
      kind: "user",
      username: "alice",
    });
    expect(localTarget("https://flattr.example/users/alice/flattr", origin)).toEqual({
      kind: "user",
      username: "alice",
    });
    expect(localTarget("https://flattr.example/things/42", origin)).toEqual({
      kind: "thing",
      id: 42,
    });
    expect(localTarget("https://flattr.example/things/42/flattr", origin)).toEqual({
      kind: "thing",
      id: 42,
    });
    expect(localTarget("https://flattr.example/users/alice/posts/7", origin)).toEqual({
      kind: "object",
      uri: "https://flattr.example/users/alice/posts/7",
    });
    expect(localTarget("https://flattr.example/things/0", origin)?.kind).toBe("object");
    expect(localTarget("https://other.example/users/alice", origin)).toBeNull();
    expect(localTarget("http://flattr.example/users/alice", origin)).toBeNull();
  });
});

describe("remoteTitle", () => {
  it("is one line of at most 200 characters, or the next candidate", () => {
    expect(remoteTitle("", "  ", "A\n\tB\u0000C")).toBe("A B C");
    expect([...remoteTitle("x".repeat(500))].length).toBe(200);
    expect(remoteTitle(null, undefined)).toBe("Untitled");
    fc.assert(
      fc.property(fc.string(), (s) => {
        const t = remoteTitle(s);
        expect([...t].length).toBeLessThanOrEqual(200);
        expect([...t].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)).toBe(
          false,
        );
        expect(t.trim()).toBe(t);
      }),
    );
  });
});
