import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/config.ts";
import { absoluteUrl, postUrl, profileUrl } from "../../src/config/urls.ts";

// absoluteUrl joins a plain path to the origin as text and parses anything else: both ways must
// give what the URL parser gives.
const origins = [
  "http://127.0.0.1:9",
  "https://flattr.example",
  "https://xn--bcher-kva.example:8443",
];
const configOf = (origin: string) => ({ origin: new URL(origin) }) as Config;
const parsed = (origin: string, path: string) => new URL(path, new URL(origin)).href;
/** What `f` answers, or that it throws (a path like `/\\` is no URL for the parser either). */
const outcome = (f: () => string): string => {
  try {
    return f();
  } catch {
    return "throws";
  }
};

describe("absoluteUrl", () => {
  it("answers what the URL parser answers, for any path", () => {
    const tricky = fc.constantFrom(
      "/",
      "//",
      ".",
      "..",
      "%2e",
      "%2E",
      "%",
      "?",
      "#",
      " ",
      "\\",
      "\t",
      "é",
      "\u0000",
      "{",
      "`",
      "'",
      "a",
      "Z",
      "0",
      "_",
      "-",
      "~",
      "@",
      ":",
      ";",
      "=",
      "+",
      "$",
      "&",
      "!",
      "*",
      "(",
      ")",
      ",",
    );
    const path = fc.array(tricky, { maxLength: 12 }).map((xs) => xs.join(""));
    fc.assert(
      fc.property(fc.constantFrom(...origins), path, (origin, p) => {
        if (!p.startsWith("/")) p = `/${p}`;
        expect(outcome(() => absoluteUrl(configOf(origin), p))).toBe(
          outcome(() => parsed(origin, p)),
        );
      }),
      { numRuns: 5000 },
    );
  });

  it("builds our own URLs as before", () => {
    const config = configOf("https://flattr.example");
    expect(profileUrl(config, "alice")).toBe("https://flattr.example/@alice");
    expect(postUrl(config, "alice", 123n)).toBe("https://flattr.example/@alice/posts/123");
    expect(absoluteUrl(config, "/a/./b/../c")).toBe("https://flattr.example/a/c");
    expect(absoluteUrl(config, "/x?y=1#z")).toBe("https://flattr.example/x?y=1#z");
  });
});
