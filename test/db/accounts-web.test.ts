import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInvites } from "../../src/accounts/invites.ts";
import { findSessionUser } from "../../src/accounts/sessions.ts";
import { createUser, findUserByUsername } from "../../src/accounts/users.ts";
import { createApp } from "../../src/app.ts";
import { systemClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { csrfTokenOf, WebClient } from "../helpers/web-client.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const ORIGIN = "http://localhost:8080";

/** A client of an app with the given settings; each gets its own (forwarded) IP address. */
let ipCounter = 1;
function client(env: Record<string, string> = {}, ip = `198.51.100.${ipCounter++}`) {
  const config = testConfig({ TRUST_PROXY: "true", SIGNUP_RATE_LIMIT: "100/3600", ...env });
  const app = createApp({ config, database, clock: systemClock });
  return new WebClient(app.fetch, config.origin.origin, { "x-forwarded-for": ip });
}

async function signUpAs(c: WebClient, username: string, extra: Record<string, string> = {}) {
  return c.submit("/signup", "/signup", {
    username,
    email: `${username}@example.org`,
    password: "password123",
    ...extra,
  });
}

describe("pages", () => {
  it("home page for visitors: login links and a HttpOnly, SameSite CSRF cookie", async () => {
    const c = client();
    const res = await c.get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html.startsWith("<!doctype html>")).toBe(true); // standards mode, not quirks
    expect(html).toContain('href="/login"');
    expect(html).toContain('href="/signup"');
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith("ff_csrf="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    // Pages may not be framed.
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("sign-up, logged-in home, logout, login", async () => {
    const c = client();
    const res = await signUpAs(c, "Alice");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const session = res.headers.getSetCookie().find((l) => l.startsWith("ff_session="))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Path=\//);
    expect(session).not.toMatch(/Secure/);

    const home = await (await c.get("/")).text();
    expect(home).toContain("Logged in as");
    expect(home).toContain("@Alice");

    const token = c.cookies.get("ff_session")!;
    const out = await c.submit("/", "/logout", {});
    expect(out.status).toBe(303);
    expect(c.cookies.has("ff_session")).toBe(false);
    expect(await findSessionUser(database.db, systemClock, token)).toBeNull();
    expect(await (await c.get("/")).text()).not.toContain("Logged in as");

    const login = await c.submit("/login", "/login", {
      username: "alice",
      password: "password123",
    });
    expect(login.status).toBe(303);
    expect(await (await c.get("/")).text()).toContain("Logged in as");
  });

  it("login: wrong password is 401 with the form again; next= stays on this site", async () => {
    const c = client();
    const bad = await c.submit("/login", "/login", { username: "alice", password: "nope-nope" });
    expect(bad.status).toBe(401);
    const html = await bad.text();
    expect(html).toContain("Wrong username or password.");
    expect(html).toContain('value="alice"');
    expect(html).not.toContain("nope-nope");

    const good = await c.submit("/login", "/login", {
      username: "alice",
      password: "password123",
      next: "/settings",
    });
    expect(good.headers.get("location")).toBe("/settings");
    for (const evil of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
      const d = client();
      const r = await d.submit("/login", "/login", {
        username: "alice",
        password: "password123",
        next: evil,
      });
      expect(r.headers.get("location")).toBe("/");
    }
  });

  it("control characters in a login are a 422, not a database error", async () => {
    const c = client();
    const res = await c.submit("/login", "/login", { username: "al\u0000ice", password: "x" });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("valid username");
  });

  it("pages that need a login send visitors to it, forms get 401", async () => {
    const c = client();
    const res = await c.get("/settings");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Fsettings");
    const post = await c.submit("/login", "/settings", { displayName: "x", bio: "" });
    expect(post.status).toBe(401);
    expect((await c.get("/invites")).status).toBe(303);
  });

  it("profile settings save and show on the public profile, escaped", async () => {
    const c = client();
    await signUpAs(c, "bob");
    const saved = await c.submit("/settings", "/settings", {
      displayName: "Bob <b>B</b>",
      bio: "Hello\n<script>alert(1)</script>",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/settings?saved");
    const settings = await (await c.get("/settings?saved")).text();
    expect(settings).toContain("Your profile was saved.");

    const anon = client();
    const profile = await anon.get("/@bob");
    expect(profile.status).toBe(200);
    const html = await profile.text();
    expect(html).toContain("Bob &lt;b&gt;B&lt;/b&gt;");
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<script>alert");
    expect(html).toContain('href="http://localhost:8080/users/bob"');
    const moved = await anon.get("/@BOB");
    expect(moved.status).toBe(301);
    expect(moved.headers.get("location")).toBe("/@bob");
    expect((await anon.get("/@nobody")).status).toBe(404);
  });

  it("bad settings input is 422 with the form and the typed values", async () => {
    const c = client();
    await signUpAs(c, "carol");
    const res = await c.submit("/settings", "/settings", {
      displayName: "x".repeat(31),
      bio: "ok",
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("at most 30 characters");
    expect(html).toContain(`value="${"x".repeat(31)}"`);
    expect((await findUserByUsername(database.db, "carol"))!.displayName).toBe("");
  });
});

describe("bad sign-up input is a 4xx with the form, never a 500", () => {
  const cases: [string, Record<string, string>, number, string][] = [
    ["bad username", { username: "no spaces!" }, 422, "letters"],
    ["empty username", { username: "" }, 422, "Choose a username"],
    ["long username", { username: "x".repeat(31) }, 422, "letters"],
    ["reserved", { username: "admin" }, 409, "reserved"],
    ["taken", { username: "ALICE" }, 409, "already taken"],
    ["bad email", { email: "nope" }, 422, "e-mail"],
    ["short password", { password: "short" }, 422, "at least 8"],
    ["missing fields", { username: "", email: "", password: "" }, 422, "Choose a username"],
    ["NUL in e-mail", { email: "a\u0000b@example.org" }, 422, "e-mail"],
    ["NUL in username", { username: "a\u0000b" }, 422, "letters"],
  ];
  for (const [name, fields, status, message] of cases) {
    it(name, async () => {
      const c = client();
      const res = await c.submit("/signup", "/signup", {
        username: "someone",
        email: "someone@example.org",
        password: "password123",
        ...fields,
      });
      expect(res.status).toBe(status);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toContain('<form method="post" action="/signup"');
      expect(c.cookies.has("ff_session")).toBe(false);
    });
  }

  it("a JSON body is 415, broken multipart 400, a huge form 413", async () => {
    const c = client();
    const token = csrfTokenOf(await (await c.get("/signup")).text());
    const json = await c.request("/signup", {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ _csrf: token }),
    });
    expect(json.status).toBe(415);
    const multipart = await c.request("/signup", {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "multipart/form-data; boundary=xyz" },
      body: "--xyz\r\nbroken",
    });
    expect(multipart.status).toBe(400);
    const huge = await c.post("/signup", { _csrf: token, bio: "x".repeat(100_000) });
    expect(huge.status).toBe(413);
  });
});

describe("CSRF", () => {
  it("a form without the token is 403 with a clear message, and changes nothing", async () => {
    const c = client();
    await c.get("/signup");
    const res = await c.post("/signup", {
      username: "csrf1",
      email: "csrf1@example.org",
      password: "password123",
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("security token did not match");
    expect(await findUserByUsername(database.db, "csrf1")).toBeNull();
  });

  it("a token of another visitor does not work", async () => {
    const c = client();
    const other = client();
    const token = csrfTokenOf(await (await other.get("/signup")).text());
    await c.get("/signup");
    const res = await c.post("/signup", {
      _csrf: token,
      username: "csrf2",
      email: "csrf2@example.org",
      password: "password123",
    });
    expect(res.status).toBe(403);
  });

  it("a foreign Origin or a cross-site fetch is 403 even with the token", async () => {
    const c = client();
    const fields = { username: "csrf3", email: "csrf3@example.org", password: "password123" };
    const r1 = await c.submit("/signup", "/signup", fields, { origin: "https://evil.example" });
    expect(r1.status).toBe(403);
    expect(await r1.text()).toContain("https://evil.example");
    const token = csrfTokenOf(await (await c.get("/signup")).text());
    const r2 = await c.request("/signup", {
      method: "POST",
      headers: { "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ _csrf: token, ...fields }),
    });
    expect(r2.status).toBe(403);
    expect(await findUserByUsername(database.db, "csrf3")).toBeNull();
  });

  it("Origin: null (Referrer-Policy no-referrer) passes only with Sec-Fetch-Site same-origin", async () => {
    const c = client();
    const fields = {
      username: "nullorigin",
      email: "nullorigin@example.org",
      password: "password123",
    };
    const cross = await c.submit("/signup", "/signup", fields, {
      origin: "null",
      "sec-fetch-site": "cross-site",
    });
    expect(cross.status).toBe(403);
    const bare = await c.submit("/signup", "/signup", fields, { origin: "null" });
    expect(bare.status).toBe(403);
    const same = await c.submit("/signup", "/signup", fields, {
      origin: "null",
      "sec-fetch-site": "same-origin",
    });
    expect(same.status).toBe(303);
  });

  it("logout needs the token too", async () => {
    const c = client();
    await signUpAs(c, "dave");
    const res = await c.post("/logout", {});
    expect(res.status).toBe(403);
    expect(await (await c.get("/")).text()).toContain("Logged in as");
  });

  it("after login the token is bound to the session", async () => {
    const c = client();
    const anonToken = csrfTokenOf(await (await c.get("/login")).text());
    await c.submit("/login", "/login", { username: "dave", password: "password123" });
    const sessionToken = csrfTokenOf(await (await c.get("/settings")).text());
    expect(sessionToken).not.toBe(anonToken);
    const stale = await c.post("/settings", { _csrf: anonToken, displayName: "D", bio: "" });
    expect(stale.status).toBe(403);
  });
});

describe("rate limits", () => {
  it("sign-ups per IP", async () => {
    const env = { SIGNUP_RATE_LIMIT: "2/3600" };
    const a = "203.0.113.7";
    expect((await signUpAs(client(env, a), "rl_one")).status).toBe(303);
    // A typo in the form does not count, nor a name that is taken: only accounts made count.
    expect((await signUpAs(client(env, a), "bad name")).status).toBe(422);
    expect((await signUpAs(client(env, a), "rl_one")).status).toBe(409);
    expect((await signUpAs(client(env, a), "rl_one")).status).toBe(409);
    expect((await signUpAs(client(env, a), "rl_two")).status).toBe(303);
    const third = await signUpAs(client(env, a), "rl_three");
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await third.text()).toContain("Too many sign-ups");
    expect(await findUserByUsername(database.db, "rl_three")).toBeNull();
    expect((await signUpAs(client(env, "203.0.113.8"), "rl_three")).status).toBe(303);
  });

  it("X-Forwarded-For is ignored unless TRUST_PROXY", async () => {
    const env = { SIGNUP_RATE_LIMIT: "1/3600", TRUST_PROXY: "false" };
    // Without a socket (app.fetch) and without trusting the header, all share one bucket.
    expect((await signUpAs(client(env, "192.0.2.1"), "xff_one")).status).toBe(303);
    expect((await signUpAs(client(env, "192.0.2.2"), "xff_two")).status).toBe(429);
  });

  it("login failures per IP and username; a success resets", async () => {
    const env = { LOGIN_RATE_LIMIT: "3/900" };
    const ip = "203.0.113.50";
    const attempt = (username: string, password: string, from = ip) =>
      client(env, from).submit("/login", "/login", { username, password });
    expect((await attempt("alice", "wrong-1")).status).toBe(401);
    expect((await attempt("alice", "wrong-2")).status).toBe(401);
    expect((await attempt("alice", "password123")).status).toBe(303); // resets
    for (let i = 0; i < 3; i++) expect((await attempt("ALICE", `wrong-${i}`)).status).toBe(401);
    const blocked = await attempt("alice", "password123");
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain("Too many failed logins");
    // Other usernames from that address, and that username from elsewhere, are unaffected.
    expect((await attempt("bob", "password123")).status).toBe(303);
    expect((await attempt("alice", "password123", "203.0.113.51")).status).toBe(303);
  });

  it("an account's username and e-mail share one budget of failures", async () => {
    const env = { LOGIN_RATE_LIMIT: "3/900" };
    const ip = "203.0.113.60";
    const attempt = (username: string, password: string) =>
      client(env, ip).submit("/login", "/login", { username, password });
    expect((await attempt("alice", "wrong-1")).status).toBe(401);
    expect((await attempt("Alice@example.org", "wrong-2")).status).toBe(401);
    expect((await attempt("ALICE", "wrong-3")).status).toBe(401);
    const blocked = await attempt("alice@EXAMPLE.org", "password123");
    expect(blocked.status).toBe(429);
  });

  it("failed logins from one address are capped across usernames", async () => {
    const env = { LOGIN_IP_RATE_LIMIT: "4/900" };
    const ip = "203.0.113.70";
    const attempt = (username: string, password: string, from = ip) =>
      client(env, from).submit("/login", "/login", { username, password });
    // A success does not use up the address's budget.
    expect((await attempt("bob", "password123")).status).toBe(303);
    for (const name of ["nobody1", "nobody2", "alice", "nobody3"]) {
      expect((await attempt(name, "wrong")).status).toBe(401);
    }
    const blocked = await attempt("bob", "password123");
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await blocked.text()).toContain("Too many failed logins from your address");
    expect((await attempt("bob", "password123", "203.0.113.71")).status).toBe(303);
  });
});

describe("registration modes", () => {
  it("invite-only: the code is required, prefilled from ?invite=, single-use", async () => {
    const env = { REGISTRATION: "invite" };
    const inviter = (await findUserByUsername(database.db, "alice"))!;
    const [code] = await createInvites(database.db, systemClock, testConfig(env), {
      creator: inviter,
    });
    const c = client(env);
    const form = await (await c.get(`/signup?invite=${code}`)).text();
    expect(form).toContain(`name="invite" value="${code}"`);

    const none = await signUpAs(c, "inv_one");
    expect(none.status).toBe(422);
    expect(await none.text()).toContain("need an invite code");
    const wrong = await signUpAs(c, "inv_one", { invite: "0000000000000000" });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("not valid");

    expect((await signUpAs(c, "inv_one", { invite: code! })).status).toBe(303);
    const again = await signUpAs(client(env), "inv_two", { invite: code! });
    expect(again.status).toBe(422);
    expect(await again.text()).toContain("already been used");

    // The inviter sees who used it.
    const a = client(env);
    await a.submit("/login", "/login", { username: "alice", password: "password123" });
    const list = await (await a.get("/invites")).text();
    expect(list).toContain(code);
    expect(list).toContain('href="/@inv_one"');
  });

  it("closed: no sign-up page and no sign-ups", async () => {
    const c = client({ REGISTRATION: "closed" });
    const page = await c.get("/signup");
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("Sign-ups are closed");
    expect((await c.get("/")).status).toBe(200);
    const token = csrfTokenOf(await (await c.get("/login")).text());
    const res = await c.post("/signup", {
      _csrf: token,
      username: "closed1",
      email: "closed1@example.org",
      password: "password123",
    });
    expect(res.status).toBe(403);
    expect(await findUserByUsername(database.db, "closed1")).toBeNull();
  });
});

describe("invites page", () => {
  it("users create up to the quota, admins without limit", async () => {
    const env = { INVITES_PER_USER: "3", REGISTRATION: "invite" };
    const c = client(env);
    await signUpAs(client(), "quota_user");
    await c.submit("/login", "/login", { username: "quota_user", password: "password123" });
    expect(await (await c.get("/invites")).text()).toContain("You can create 3 more.");
    for (let i = 0; i < 3; i++)
      expect((await c.submit("/invites", "/invites", {})).status).toBe(303);
    const page = await (await c.get("/invites")).text();
    expect(page.match(/<code>[0-9a-z]{16}<\/code>/g)).toHaveLength(3);
    expect(page).toContain("You can create 0 more.");
    const over = await c.submit("/invites", "/invites", {});
    expect(over.status).toBe(403);
    expect(await over.text()).toContain("used all 3");

    await createUser(database.db, systemClock, {
      username: "root",
      email: "root@example.org",
      password: "password123",
      isAdmin: true,
      allowReserved: true,
    });
    const admin = client(env);
    await admin.submit("/login", "/login", { username: "root", password: "password123" });
    for (let i = 0; i < 5; i++)
      expect((await admin.submit("/invites", "/invites", {})).status).toBe(303);
    expect(await (await admin.get("/invites")).text()).toContain("as many as you like");
  });
});

describe("https origin", () => {
  it("cookies are Secure and __Host- prefixed", async () => {
    const config = testConfig({ ORIGIN: "https://flattr.example", REGISTRATION: "open" });
    const app = createApp({ config, database, clock: systemClock });
    const c = new WebClient(app.fetch, "https://flattr.example");
    const page = await c.get("/signup");
    expect(page.headers.getSetCookie()[0]).toMatch(/^__Host-ff_csrf=.*Secure/);
    const res = await signUpAs(c, "secure_sam");
    expect(res.status).toBe(303);
    const session = res.headers.getSetCookie().find((l) => l.startsWith("__Host-ff_session="))!;
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
  });
});
