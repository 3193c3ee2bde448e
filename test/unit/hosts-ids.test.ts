import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { idAtTime, newId, timeOfId } from "../../src/db/ids.ts";
import { hostMatches, hostname, hostOf, parseHost } from "../../src/peers/host.ts";

describe("time ids", () => {
  it("sort by time, keep the millisecond, and stay above every small identity id", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0), max: Date.UTC(2200, 0) }),
        fc.integer({ min: 1, max: 10_000 }),
        (ms, later) => {
          const a = newId(new Date(ms));
          const b = newId(new Date(ms + later));
          expect(a < b).toBe(true);
          expect(timeOfId(a).getTime()).toBe(ms);
          expect(idAtTime(new Date(ms)) <= a).toBe(true);
          expect(a > 2n ** 40n).toBe(true);
          expect(a < 2n ** 63n).toBe(true);
        },
      ),
    );
  });
  it("refuses invalid times", () => {
    expect(() => newId(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe("host keys", () => {
  it("are the lowercase host[:port] of an http(s) origin", () => {
    expect(hostOf("https://Example.ORG/users/a")).toBe("example.org");
    expect(hostOf("https://example.org:443/x")).toBe("example.org");
    expect(hostOf("http://127.0.0.1:8081/users/a")).toBe("127.0.0.1:8081");
    expect(hostOf("http://[::1]:8080/")).toBe("[::1]:8080");
    expect(hostOf("ftp://example.org/")).toBeNull();
    expect(hostOf("not a url")).toBeNull();
  });
  it("parse what admins type", () => {
    expect(parseHost(" Example.org ")).toBe("example.org");
    expect(parseHost("https://example.org/about")).toBe("example.org");
    expect(parseHost("example.org:8443")).toBe("example.org:8443");
    expect(parseHost("")).toBeNull();
    expect(parseHost("exa mple.org")).toBeNull();
  });
  it("match subdomains and ignore ports", () => {
    expect(hostname("example.org:8443")).toBe("example.org");
    expect(hostname("[::1]:8080")).toBe("[::1]");
    expect(hostMatches("a.example.org", "example.org")).toBe(true);
    expect(hostMatches("example.org:8443", "example.org")).toBe(true);
    expect(hostMatches("badexample.org", "example.org")).toBe(false);
    expect(hostMatches("example.org", "a.example.org")).toBe(false);
  });
});
