// Account self-service through the pages: change e-mail and password, see and end sessions, and
// password resets made by an administrator (page and CLI), on a real database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findSessionUser } from "../../src/accounts/sessions.ts";
import { createUser } from "../../src/accounts/users.ts";
import { createApp } from "../../src/app.ts";
import { type Clock, systemClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { WebClient } from "../helpers/web-client.ts";

let database: Database;
const config = testConfig({ TRUST_PROXY: "true" });
beforeAll(async () => {
  database = await createTestDatabase();
  await createUser(database.db, systemClock, {
    username: "carol",
    email: "carol@example.org",
    password: "password123",
  });
  await createUser(database.db, systemClock, {
    username: "dave",
    email: "dave@example.org",
    password: "password123",
  });
  await createUser(database.db, systemClock, {
    username: "root",
    email: "root@example.org",
    password: "password123",
    isAdmin: true,
    allowReserved: true,
  });
});
afterAll(async () => {
  await database?.close();
});

let ip = 1;
function browser(userAgent = "TestBrowser/1.0", clock: Clock = systemClock) {
  const app = createApp({ config, database, clock });
  return new WebClient(app.fetch, config.origin.origin, {
    "x-forwarded-for": `198.51.100.${ip++}`,
    "user-agent": userAgent,
  });
}

async function loggedIn(username: string, password = "password123", userAgent?: string) {
  const c = browser(userAgent);
  const res = await c.submit("/login", "/login", { username, password });
  expect(res.status, `login as ${username}`).toBe(303);
  return c;
}

const session = (c: WebClient) => c.cookies.get("ff_session")!;

describe("password", () => {
  it("needs the current one, ends the other sessions and keeps this one", async () => {
    const here = await loggedIn("carol", "password123", "Here/1");
    const there = await loggedIn("carol", "password123", "There/2");
    const wrong = await here.submit("/settings/account", "/settings/password", {
      current: "nope-nope",
      next: "new-password-1",
      repeat: "new-password-1",
    });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("Your current password is not right.");
    const mismatch = await here.submit("/settings/account", "/settings/password", {
      current: "password123",
      next: "new-password-1",
      repeat: "new-password-2",
    });
    expect(mismatch.status).toBe(422);
    expect(await mismatch.text()).toContain("not the same");
    expect(await findSessionUser(database.db, systemClock, session(there))).not.toBeNull();

    const ok = await here.submit("/settings/account", "/settings/password", {
      current: "password123",
      next: "new-password-1",
      repeat: "new-password-1",
    });
    expect(ok.status).toBe(303);
    expect(await findSessionUser(database.db, systemClock, session(there))).toBeNull();
    expect(await findSessionUser(database.db, systemClock, session(here))).not.toBeNull();
    const page = await (await here.get(ok.headers.get("location")!)).text();
    expect(page).toContain("Your password was changed");
    const old = await browser().submit("/login", "/login", {
      username: "carol",
      password: "password123",
    });
    expect(old.status).toBe(401);
    await loggedIn("carol", "new-password-1");
  });
});

describe("e-mail", () => {
  it("changes with the password; a taken address is refused; the new one logs in", async () => {
    const c = await loggedIn("dave");
    const noPassword = await c.submit("/settings/account", "/settings/email", {
      email: "dave2@example.org",
      password: "",
    });
    expect(noPassword.status).toBe(422);
    const taken = await c.submit("/settings/account", "/settings/email", {
      email: "ROOT@example.org",
      password: "password123",
    });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain("Another account already uses this e-mail address.");
    const bad = await c.submit("/settings/account", "/settings/email", {
      email: "not an address",
      password: "password123",
    });
    expect(bad.status).toBe(422);
    const ok = await c.submit("/settings/account", "/settings/email", {
      email: "dave2@example.org",
      password: "password123",
    });
    expect(ok.status).toBe(303);
    expect(await (await c.get("/settings/account")).text()).toContain('value="dave2@example.org"');
    await loggedIn("dave2@example.org");
    const old = await browser().submit("/login", "/login", {
      username: "dave@example.org",
      password: "password123",
    });
    expect(old.status).toBe(401);
  });
});

describe("sessions", () => {
  it("lists the account's sessions with their browsers, and ends one or all others", async () => {
    const a = await loggedIn("root", "password123", "Firefox/Test <script>");
    const b = await loggedIn("root", "password123", "Phone/Test");
    const other = await loggedIn("dave2@example.org");
    const page = await (await a.get("/settings/account")).text();
    expect(page).toContain("Firefox/Test &lt;script&gt;");
    expect(page).toContain("Phone/Test");
    expect(page).toContain("this browser");
    const ids = [...page.matchAll(/name="id" value="([0-9a-f]{64})"/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(1);

    // Another account's session cannot be ended from here.
    const otherPage = await (await other.get("/settings/account")).text();
    const foreign = /name="id" value="([0-9a-f]{64})"/.exec(otherPage);
    if (foreign) {
      const refused = await a.submit("/settings/account", "/settings/sessions/end", {
        id: foreign[1]!,
      });
      expect(refused.status).toBe(404);
    }
    const ended = await a.submit("/settings/account", "/settings/sessions/end", { id: ids[0]! });
    expect(ended.status).toBe(303);
    expect(await findSessionUser(database.db, systemClock, session(b))).toBeNull();
    expect(await findSessionUser(database.db, systemClock, session(other))).not.toBeNull();

    const b2 = await loggedIn("root", "password123", "Tablet/Test");
    const all = await a.submit("/settings/account", "/settings/sessions/end-others", {});
    expect(all.status).toBe(303);
    expect(await findSessionUser(database.db, systemClock, session(b2))).toBeNull();
    expect(await findSessionUser(database.db, systemClock, session(a))).not.toBeNull();
  });
});

describe("password reset", () => {
  it("the CLI prints a one-time link that sets a new password once and ends every session", async () => {
    const before = await loggedIn("carol", "new-password-1");
    const run = await runCliWith(["user", "reset-password", "Carol"], {
      deps: { config, database, clock: systemClock },
    });
    expect(run.code).toBe(0);
    const link = run.stdout.trim();
    expect(link).toMatch(/^http:\/\/localhost:8080\/reset-password\/[A-Za-z0-9_-]{43}$/);
    expect(run.stderr).toContain("@carol");
    const path = new URL(link).pathname;

    const c = browser();
    const form = await c.get(path);
    expect(form.status).toBe(200);
    // The token is in the path: no Referer may carry it to another site.
    expect(form.headers.get("referrer-policy")).toMatch(/^(same-origin|no-referrer)$/);
    expect(await form.text()).toContain("@carol");
    const short = await c.submit(path, path, { password: "short", repeat: "short" });
    expect(short.status).toBe(422);
    const set = await c.submit(path, path, { password: "reset-pass-1", repeat: "reset-pass-1" });
    expect(set.status).toBe(303);
    expect(set.headers.get("location")).toBe("/login?reset");
    expect(await findSessionUser(database.db, systemClock, session(before))).toBeNull();
    await loggedIn("carol", "reset-pass-1");

    const again = await browser().get(path);
    expect(again.status).toBe(410);
    const reuse = await c.post(path, { password: "reset-pass-2", repeat: "reset-pass-2" });
    expect([403, 410]).toContain(reuse.status);
    await loggedIn("carol", "reset-pass-1");

    const unknown = await runCliWith(["user", "reset-password", "nobody"], {
      deps: { config, database, clock: systemClock },
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("There is no account @nobody.");
  });

  it("an admin makes the link on /admin/users; others may not; links expire", async () => {
    const admin = await loggedIn("root");
    const made = await admin.submit("/admin/users", "/admin/users/reset-password", {
      username: "@dave",
    });
    expect(made.status).toBe(200);
    const link = /data-testid="reset-link"[^>]*>([^<]+)</.exec(await made.text())![1]!;
    const path = new URL(link).pathname;

    const user = await loggedIn("dave2@example.org");
    expect((await user.get("/admin/users")).status).toBe(403);

    // A day and a minute later the link no longer works.
    const later = {
      now: () => new Date(Date.now() + 24 * 3600 * 1000 + 60_000),
    };
    expect((await browser("Late/1", later).get(path)).status).toBe(410);
    expect((await browser().get(path)).status).toBe(200);
    // A second link replaces the first, unused one.
    await admin.submit("/admin/users", "/admin/users/reset-password", { username: "dave" });
    expect((await browser().get(path)).status).toBe(410);
  });
});
