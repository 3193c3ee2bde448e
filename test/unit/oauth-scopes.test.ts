import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  challengeOf,
  pkceMethod,
  validChallenge,
  verifierMatches,
} from "../../src/accounts/oauth/pkce.ts";
import {
  ALL_SCOPES,
  appOnlyScopes,
  canFlattr,
  FLATTR_SCOPES,
  normalizeScopes,
  parseScopes,
  scopeAllows,
  scopesWithin,
} from "../../src/accounts/oauth/scopes.ts";
import { asBoolean, asStringList } from "../../src/mastodon/input.ts";
import { linkHeader, pageParams } from "../../src/mastodon/pagination.ts";

const scope = fc.constantFrom(...ALL_SCOPES);

describe("scopes", () => {
  it("a scope allows itself, and read/write allow every read:*/write:*", () => {
    fc.assert(
      fc.property(scope, (s) => {
        expect(scopeAllows([s], s)).toBe(true);
        if (s.startsWith("read:")) expect(scopeAllows(["read"], s)).toBe(true);
        if (s.startsWith("write:")) expect(scopeAllows(["write"], s)).toBe(true);
        // A granular scope never stands for its parent (the REST API's read/write).
        if (s.includes(":"))
          expect(scopeAllows([s], s.startsWith("read") ? "read" : "write")).toBe(false);
      }),
    );
  });

  it("follow covers follows, blocks and mutes; read covers profile; write:favourites can flattr", () => {
    expect(scopeAllows(["follow"], "write:follows")).toBe(true);
    expect(scopeAllows(["follow"], "read:mutes")).toBe(true);
    expect(scopeAllows(["follow"], "write:favourites")).toBe(false);
    expect(scopeAllows(["read"], "profile")).toBe(true);
    expect(scopeAllows(["profile"], "read:accounts")).toBe(false);
    expect(canFlattr(["write:favourites"])).toBe(true);
    expect(canFlattr(["write"])).toBe(true);
    expect(canFlattr(["read", "write:statuses", "follow"])).toBe(false);
  });

  it("parses space- and plus-separated lists to the canonical order, refusing unknown ones", () => {
    fc.assert(
      fc.property(
        fc.array(scope, { maxLength: 8 }),
        fc.constantFrom(" ", "+", "  "),
        (list, sep) => {
          const parsed = parseScopes(list.join(sep));
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.scopes).toEqual(list.length === 0 ? ["read"] : normalizeScopes(list));
          expect(normalizeScopes(parsed.scopes)).toEqual(parsed.scopes);
        },
      ),
    );
    expect(parseScopes("read admin:read nonsense")).toEqual({
      ok: false,
      unknown: ["admin:read", "nonsense"],
    });
  });

  it("app-only tokens keep reading scopes only, always within what they asked", () => {
    fc.assert(
      fc.property(fc.array(scope), (list) => {
        const kept = appOnlyScopes(list);
        for (const s of kept)
          expect(s === "read" || s === "profile" || s.startsWith("read:")).toBe(true);
        expect(scopesWithin(kept, list)).toBe(true);
      }),
    );
  });
});

describe("PKCE", () => {
  const verifier = fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/);
  it("a verifier answers its own challenge and no other", () => {
    fc.assert(
      fc.property(
        verifier,
        verifier,
        fc.constantFrom("S256" as const, "plain" as const),
        (v, w, m) => {
          const challenge = challengeOf(m, v);
          expect(validChallenge(m, challenge)).toBe(true);
          expect(verifierMatches(m, challenge, v)).toBe(true);
          if (w !== v) expect(verifierMatches(m, challenge, w)).toBe(false);
        },
      ),
    );
    // RFC 7636 appendix B.
    expect(challengeOf("S256", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    expect(pkceMethod(undefined)).toBe("plain");
    expect(pkceMethod("S512")).toBeNull();
    expect(verifierMatches("plain", "short", "short")).toBe(false);
  });
});

describe("lenient input and pagination", () => {
  it("reads Rails booleans and lists", () => {
    for (const t of [true, "true", "1", 1, "on", "TRUE", ["1"]]) expect(asBoolean(t)).toBe(true);
    for (const f of [false, "false", "0", 0, "off", "no"]) expect(asBoolean(f)).toBe(false);
    expect(asBoolean(undefined)).toBeUndefined();
    expect(asStringList(["a", 1, { x: 1 }])).toEqual(["a", "1"]);
    expect(asStringList("a")).toEqual(["a"]);
  });

  it("clamps limits, ignores malformed ids, and links next/prev keeping other parameters", () => {
    expect(pageParams({ limit: "500" }).limit).toBe(40);
    expect(pageParams({ limit: "0" }).limit).toBe(1);
    expect(pageParams({ limit: "x" }).limit).toBe(20);
    expect(pageParams({ max_id: "12a", min_id: "99999999999999999999" })).toEqual({ limit: 20 });
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 2n ** 62n }), { minLength: 1, maxLength: 5 }),
        (ids) => {
          const url = new URL("https://x.example/api/v1/favourites?limit=2&max_id=9&local=true");
          const link = linkHeader(url, ids)!;
          const [next, prev] = [...link.matchAll(/<([^>]+)>; rel="(next|prev)"/g)].map(
            (m) => new URL(m[1]!),
          );
          expect(next!.searchParams.get("max_id")).toBe(String(ids[ids.length - 1]));
          expect(prev!.searchParams.get("min_id")).toBe(String(ids[0]));
          expect(prev!.searchParams.get("max_id")).toBeNull();
          expect(next!.searchParams.get("local")).toBe("true");
        },
      ),
    );
    expect(linkHeader(new URL("https://x.example/a"), [])).toBeUndefined();
  });
});

describe("the scopes the flattr statement accepts", () => {
  it("are exactly the tokens canFlattr allows: holding one of FLATTR_SCOPES", () => {
    fc.assert(
      fc.property(fc.subarray([...ALL_SCOPES]), (granted) => {
        expect(granted.some((s) => FLATTR_SCOPES.includes(s))).toBe(canFlattr(granted));
      }),
    );
  });
});
