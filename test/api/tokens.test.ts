import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../src/accounts/sessions.ts";
import { listTokens, verifyToken } from "../../src/accounts/tokens.ts";
import { createApp } from "../../src/app.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { cookieNames } from "../../src/web/session.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";
import { csrfTokenOf, WebClient } from "../helpers/web-client.ts";
import { ApiClient } from "./support.ts";

let database: Database;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ ORIGIN: "https://flattr.example" });
const clock = fixedClock("2026-05-10T10:00:00Z");

async function loggedIn(userId: number) {
  const app = createApp({ config, database, clock });
  const web = new WebClient(app.fetch, config.origin.origin);
  const { token } = await createSession(db, clock, userId);
  web.cookies.set(cookieNames(config).session, token);
  return { app, web, api: (t: string | null) => new ApiClient(app.fetch, config.origin.origin, t) };
}

const newToken = (html: string) => /data-testid="new-token">([^<]+)</.exec(html)?.[1];

describe("/settings/tokens", () => {
  it("creates a token shown once, which works on the API until revoked", async () => {
    const u = await makeUser(db);
    const { web, api } = await loggedIn(u);
    const page = await web.get("/settings/tokens");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("You have no tokens yet.");

    const created = await web.post("/settings/tokens", {
      _csrf: csrfTokenOf(html),
      name: "  my   blog ",
      write: "1",
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const createdHtml = await created.text();
    const token = newToken(createdHtml)!;
    expect(token).toMatch(/^ffpat_[A-Za-z0-9_-]{43}$/);
    expect(createdHtml).toContain("only this once");
    expect(createdHtml).toContain("my blog");

    // Only the hash is stored, and the list never shows the token again.
    const [row] = await queryRows<{ token_hash: string }>(
      db,
      sql`select token_hash from access_tokens where user_id = ${u}`,
    );
    expect(row!.token_hash).not.toContain(token.slice(6));
    const again = await (await web.get("/settings/tokens")).text();
    expect(again).not.toContain(token);
    expect(again).toContain("read, write");

    expect((await api(token).get("/me")).status).toBe(200);
    expect((await api(token).put("/me/budget", { amount: "5.00" })).status).toBe(200);
    const [listed] = await listTokens(db, u);
    expect(listed!.lastUsedAt).toEqual(clock.now());

    // A read-only token.
    const ro = await web.post("/settings/tokens", { _csrf: csrfTokenOf(again), name: "reader" });
    const roToken = newToken(await ro.text())!;
    expect((await api(roToken).get("/me")).status).toBe(200);
    expect((await api(roToken).put("/me/budget", { amount: "5.00" })).status).toBe(403);

    // Revoke the first one.
    const revoked = await web.post(`/settings/tokens/${listed!.id}/revoke`, {
      _csrf: csrfTokenOf(again),
    });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("location")).toBe("/settings/tokens?revoked");
    expect((await api(token).get("/me")).status).toBe(401);
    expect(await (await web.get("/settings/tokens?revoked")).text()).toContain("Revoked");
    expect((await api(roToken).get("/me")).status).toBe(200);
  });

  it("refuses missing CSRF, bad names, other people's tokens, and tokens instead of a login", async () => {
    const u = await makeUser(db);
    const other = await makeUser(db);
    const { web, app } = await loggedIn(u);
    const html = await (await web.get("/settings/tokens")).text();
    const csrf = csrfTokenOf(html);

    expect((await web.post("/settings/tokens", { name: "x" })).status).toBe(403);
    expect(
      (
        await web.post(
          "/settings/tokens",
          { _csrf: csrf, name: "x" },
          { origin: "https://evil.example" },
        )
      ).status,
    ).toBe(403);
    const empty = await web.post("/settings/tokens", { _csrf: csrf, name: "   " });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Give the token a name.");
    expect(
      (await web.post("/settings/tokens", { _csrf: csrf, name: "n".repeat(101) })).status,
    ).toBe(422);

    const theirs = await loggedIn(other);
    const theirHtml = await (await theirs.web.get("/settings/tokens")).text();
    const theirToken = newToken(
      await (
        await theirs.web.post("/settings/tokens", {
          _csrf: csrfTokenOf(theirHtml),
          name: "t",
          write: "1",
        })
      ).text(),
    )!;
    const [theirRow] = await listTokens(db, other);
    for (const id of [String(theirRow!.id), "abc", "0", "99999999999999999999"]) {
      const res = await web.post(`/settings/tokens/${id}/revoke`, { _csrf: csrf });
      expect(res.status, id).toBe(404);
    }
    expect((await verifyToken(db, clock, theirToken))?.id).toBe(other);

    // A bearer token is no login on pages: not for reading them, not for creating tokens.
    const asToken = (path: string, init: RequestInit = {}) =>
      app.fetch(
        new Request(new URL(path, config.origin), {
          redirect: "manual",
          ...init,
          headers: { authorization: `Bearer ${theirToken}`, ...(init.headers ?? {}) },
        }),
      );
    const viaToken = await asToken("/settings/tokens");
    expect(viaToken.status).toBe(303);
    expect(viaToken.headers.get("location")).toMatch(/^\/login/);
    const post = await asToken("/settings/tokens", {
      method: "POST",
      headers: {
        origin: config.origin.origin,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "name=sneaky&write=1",
    });
    expect(post.status).toBeGreaterThanOrEqual(400);
    expect((await listTokens(db, other)).map((t) => t.name)).toEqual(["t"]);

    const visitor = new WebClient(app.fetch, config.origin.origin);
    const login = await visitor.get("/settings/tokens");
    expect(login.status).toBe(303);
  });
});

describe("fediflattr token create", () => {
  it("prints a working token on stdout; refuses unknown users", async () => {
    // The runner gives the command this file's database and clock: no data directory, no env.
    const run = (...args: string[]) => runCliWith(args, { deps: { config, database, clock } });
    const made = await run(
      "user",
      "create",
      "tokie",
      "--email",
      "t@example.org",
      "--password",
      "password123",
    );
    expect(made.code).toBe(0);
    const ok = await run("token", "create", "tokie", "--name", "deploy bot");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ffpat_[A-Za-z0-9_-]{43}\n$/);
    expect(ok.stderr).toContain('"deploy bot" (read, write) for @tokie');
    const ro = await run("token", "create", "TOKIE", "--read-only");
    expect(ro.code).toBe(0);
    expect((await run("token", "create", "nobody")).code).toBe(1);
    expect((await run("token", "create")).code).toBe(2);
    expect((await run("token", "create", "tokie", "--name", "")).code).toBe(1);

    const user = await verifyToken(db, clock, ok.stdout.trim());
    expect(user).toMatchObject({ username: "tokie", scopes: ["read", "write"] });
    expect((await verifyToken(db, clock, ro.stdout.trim()))?.scopes).toEqual(["read"]);
  });
});
