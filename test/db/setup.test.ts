// A first run without the CLI: a fresh instance logs a one-time setup link whose page creates the
// first administrator (src/accounts/setup.ts, src/web/pages/setup.tsx, src/server.ts).
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { freePort } from "../helpers/instance.ts";
import { captureLogs, setupUrlsIn } from "../helpers/log.ts";
import { csrfTokenOf, WebClient } from "../helpers/web-client.ts";

let database: Database;
let logs: Awaited<ReturnType<typeof captureLogs>>;
let server: RunningServer | undefined;
let origin: string;
const clock = fixedClock("2026-05-01T10:00:00Z");

beforeAll(async () => {
  logs = await captureLogs();
  database = await createTestDatabase();
});
afterAll(async () => {
  await server?.stop();
  await database?.close();
  await logs?.stop();
});

/**
 * (Re)starts the web process on the same database; answers the setup links this start logged.
 * Each start gets a new port: fetch would reuse a keep-alive connection the last stop closed.
 */
async function restart(): Promise<string[]> {
  await server?.stop();
  const before = logs.lines.length;
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = await startServer(testConfig({ ORIGIN: origin, PORT: String(port) }), {
    role: "web",
    hostname: "127.0.0.1",
    deps: { database, clock },
  });
  return setupUrlsIn(logs.lines.slice(before));
}

const browser = () => new WebClient((r) => fetch(r), origin);
const path = (url: string) => new URL(url).pathname;
const admins = async () =>
  (
    await queryRows<{ username: string }>(
      database.db,
      sql`select username from users where is_admin order by id`,
    )
  ).map((r) => r.username);
const fields = (username: string) => ({
  username,
  email: `${username}@example.org`,
  password: "a long password",
});

it("logs a setup link at each start while no administrator exists; only its hash is stored", async () => {
  const [first, ...more] = await restart();
  expect(more).toEqual([]);
  expect(first).toMatch(new RegExp(`^${origin}/setup/[A-Za-z0-9_-]{43}$`));
  expect(logs.lines.find((l) => l.includes(first!))).toMatch(
    /^warning: This instance has no administrator yet\. Open .* works once, for 24 hours/,
  );
  const token = path(first!).split("/")[2]!;
  const rows = await queryRows<{ token_hash: string }>(
    database.db,
    sql`select token_hash from setup_tokens`,
  );
  expect(rows).toEqual([{ token_hash: createHash("sha256").update(token).digest("hex") }]);

  // A second start prints a new link; the first keeps working (until used, or for 24 hours).
  const [second] = await restart();
  expect(second).toBeDefined();
  expect(second).not.toBe(first);
  for (const url of [first!, second!]) {
    const page = await browser().get(path(url));
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("Set up this instance");
    expect(html).toContain(`action="${path(url)}"`);
    expect(csrfTokenOf(html)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  }

  const unknown = await browser().get(`/setup/${"A".repeat(43)}`);
  expect(unknown.status).toBe(404);
  expect(await unknown.text()).toContain("This setup link is not valid");
  expect((await browser().get("/setup/short")).status).toBe(404);
});

it("refuses a form without the right CSRF token or from another origin, and changes nothing", async () => {
  const [url] = await restart();
  const web = browser();
  await web.get(path(url!));
  const wrong = await web.post(path(url!), { _csrf: "x".repeat(43), ...fields("mallory") });
  expect(wrong.status).toBe(403);
  expect(await wrong.text()).toContain("security token did not match");

  const page = await web.get(path(url!));
  const token = csrfTokenOf(await page.text());
  const foreign = await web.post(
    path(url!),
    { _csrf: token, ...fields("mallory") },
    { origin: "https://evil.example" },
  );
  expect(foreign.status).toBe(403);
  expect(await admins()).toEqual([]);
});

it("checks the input by the sign-up rules and keeps what was typed", async () => {
  const [url] = await restart();
  const short = await browser().submit(path(url!), path(url!), {
    ...fields("root"),
    password: "short",
  });
  expect(short.status).toBe(422);
  const html = await short.text();
  expect(html).toContain("A password needs at least 8 characters.");
  expect(html).toContain('value="root@example.org"');
  const name = await browser().submit(path(url!), path(url!), fields("no way"));
  expect(name.status).toBe(422);
  expect(await admins()).toEqual([]);
});

it("expires a link 24 hours after the start that printed it", async () => {
  const [url] = await restart();
  const web = browser();
  const token = csrfTokenOf(await (await web.get(path(url!))).text());
  clock.advance(24 * 3600 * 1000);
  const page = await web.get(path(url!));
  expect(page.status).toBe(410);
  expect(await page.text()).toContain("This setup link has expired");
  const post = await web.post(path(url!), { _csrf: token, ...fields("late") });
  expect(post.status).toBe(410);
  expect(await admins()).toEqual([]);
});

it("creates the first administrator once, logs them in, and every link dies with it", async () => {
  // Two links used at the same moment by two browsers: one administrator, not two.
  const [a] = await restart();
  const [b] = await restart();
  const alice = browser();
  const bob = browser();
  const tokens = await Promise.all(
    [
      [alice, a!],
      [bob, b!],
    ].map(async ([web, url]) => {
      const page = await (web as WebClient).get(path(url as string));
      return csrfTokenOf(await page.text());
    }),
  );
  const [ra, rb] = await Promise.all([
    alice.post(path(a!), { _csrf: tokens[0]!, ...fields("admin") }),
    bob.post(path(b!), { _csrf: tokens[1]!, ...fields("other") }),
  ]);
  expect([ra.status, rb.status].sort()).toEqual([303, 410]);
  const [winner, loser, winnerUrl] = ra.status === 303 ? [alice, bob, a!] : [bob, alice, b!];
  expect(await admins()).toEqual([ra.status === 303 ? "admin" : "other"]);
  expect((ra.status === 303 ? ra : rb).headers.get("location")).toBe("/");
  expect(await (ra.status === 303 ? rb : ra).text()).toContain("already has an administrator");

  // The winner is logged in as the new administrator.
  expect(winner.cookies.has("ff_session")).toBe(true);
  const home = await (await winner.get("/")).text();
  expect(home).toContain(`Logged in as <a href="/@${(await admins())[0]}">`);
  expect(loser.cookies.has("ff_session")).toBe(false);

  // Single use: the link (and any other) answers 410 now; no token is left in the database.
  const again = await browser().get(path(winnerUrl));
  expect(again.status).toBe(410);
  expect(await again.text()).toContain("This instance is set up");
  const late = browser();
  const visitorToken = csrfTokenOf(await (await late.get("/login")).text());
  const replay = await late.post(path(winnerUrl), { _csrf: visitorToken, ...fields("third") });
  expect(replay.status).toBe(410);
  expect(await admins()).toHaveLength(1);
  expect(await queryRows(database.db, sql`select 1 from setup_tokens`)).toEqual([]);

  // And a start with an administrator logs no link.
  expect(await restart()).toEqual([]);
  expect(logs.lines.some((l) => l.includes("npx fediflattr user create"))).toBe(false);
});
