import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, verifyPassword } from "../../src/accounts/passwords.ts";
import { validateUsername } from "../../src/accounts/validation.ts";
import { rateLimitAddress } from "../../src/http/client-ip.ts";
import { safeNext } from "../../src/web/forms.ts";

const fast = { logN: 10, r: 8, p: 1 };

describe("password hashes", () => {
  it("are self-describing scrypt strings with a random salt", async () => {
    const a = await hashPassword("hunter2hunter2", fast);
    const b = await hashPassword("hunter2hunter2", fast);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("hunter2hunter2", a)).toBe(true);
    expect(await verifyPassword("hunter2hunter3", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("verify with the parameters stored in the hash; weaker ones need a rehash", async () => {
    const weak = await hashPassword("pw-pw-pw-pw", fast);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword("pw-pw-pw-pw"))).toBe(false);
    expect(await verifyPassword("pw-pw-pw-pw", weak)).toBe(true);
  });

  it("treat malformed or absurd hashes as a mismatch, never a throw", async () => {
    for (const stored of [
      "",
      "plain",
      "$scrypt$ln=10,r=8,p=1$$",
      "$scrypt$ln=40,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    ]) {
      expect(await verifyPassword("x", stored)).toBe(false);
    }
  });

  it("normalize Unicode (NFKC), so composed and decomposed input match", async () => {
    const h = await hashPassword("caf\u00e9 au lait", fast);
    expect(await verifyPassword("cafe\u0301 au lait", h)).toBe(true);
  });
});

describe("helpers", () => {
  it("usernames: trimmed, Mastodon's local set", () => {
    expect(validateUsername("  Alice_1 ")).toBe("Alice_1");
    expect(() => validateUsername("alice.b")).toThrow(/letters/);
  });

  it("client addresses for rate limits: v4-mapped unwrapped, IPv6 grouped by /64", () => {
    expect(rateLimitAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(rateLimitAddress("192.0.2.1")).toBe("192.0.2.1");
    expect(rateLimitAddress("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(rateLimitAddress("2001:db8:1:2::9")).toBe("2001:db8:1:2::/64");
    expect(rateLimitAddress("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(rateLimitAddress("::1")).toBe("0:0:0:0::/64");
  });

  it("next= after login stays on this site", () => {
    expect(safeNext("/settings?x=1")).toBe("/settings?x=1");
    for (const bad of [
      undefined,
      "",
      "settings",
      "//evil.example",
      "/\\evil",
      "https://e.x/",
      "/a\nb",
    ]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
});
