// Verified things: the instance fetches the owner's page (a real HTTP server on loopback) and looks
// for a link back; the verified owner takes the URL over from an unverified claimant, with the
// open month's flattrs; closed months stay. Pages show it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../src/accounts/users.ts";
import { createApp } from "../../src/app.ts";
import { systemClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { httpPageFetcher } from "../../src/federation/page-fetcher.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { getThing, registerThing } from "../../src/flattr/things.ts";
import {
  backlinkFor,
  linksBack,
  PageFetchError,
  verifyThing,
} from "../../src/flattr/verification.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { WebClient } from "../helpers/web-client.ts";

const config = testConfig({ TRUST_PROXY: "true", FETCH_MAX_BYTES: "4096" });
const clock = systemClock;
let database: Database;
let server: Server;
let site: string;
/** What the fake website answers, by path. */
const pages = new Map<string, string>();

beforeAll(async () => {
  database = await createTestDatabase();
  server = createServer((req, res) => {
    const body = pages.get(req.url ?? "");
    if (body === undefined) {
      res.writeHead(404).end("no");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await database?.close();
});

describe("what counts as a link back", () => {
  const b = backlinkFor(config, "alice", 7);
  const page = "https://alice.example/post";
  const o = config.origin.origin;
  it.each([
    [`<link rel="payment" href="${o}/@alice">`, true],
    [`<a rel="me payment" href="${o}/users/alice/flattr">Flattr</a>`, true],
    [`<link rel=payment href='${o}/things/7/flattr'>`, true],
    [`<meta name="fediflattr" content="@Alice@${config.origin.host}">`, true],
    [`<!-- <link rel="payment" href="${o}/@alice"> -->`, false],
    [`<link rel="payment" href="${o}/@mallory">`, false],
    [`<link rel="payment" href="https://evil.example/@alice">`, false],
    [`<link rel="stylesheet" href="${o}/@alice">`, false],
    [`<link rel="payment" href="${o}/things/71">`, false],
    [`<meta name="fediflattr" content="@alice@evil.example">`, false],
  ])("%s → %s", (html, expected) => {
    expect(linksBack(html, page, config, b)).toBe(expected);
  });
});

describe("the fetch", () => {
  it("refuses private addresses unless the configuration allows them", async () => {
    const strict = httpPageFetcher(testConfig({ ALLOW_PRIVATE_ADDRESS: "false" }));
    await expect(strict(`${site}/x`)).rejects.toBeInstanceOf(PageFetchError);
    pages.set("/x", "hello");
    expect((await httpPageFetcher(config)(`${site}/x`)).body).toBe("hello");
  });

  it("reads at most FETCH_MAX_BYTES: a link after that does not count", async () => {
    pages.set("/big", `${"x".repeat(5000)}<link rel="payment" href="${config.origin.origin}/@a">`);
    const page = await httpPageFetcher(config)(`${site}/big`);
    expect(page.body.length).toBe(4096);
  });
});

describe("verifying and taking over", () => {
  let alice: number;
  let mallory: number;
  let bob: number;
  let carol: number;

  beforeAll(async () => {
    const user = async (username: string) =>
      (
        await createUser(database.db, clock, {
          username,
          email: `${username}@example.org`,
          password: "password123",
        })
      ).id;
    alice = await user("alice");
    mallory = await user("mallory");
    bob = await user("bob");
    carol = await user("carol");
    for (const u of [alice, bob, carol]) await setBudget(database.db, clock, config, u, 500n);
  });

  it("the owner who verifies a page takes it over; its open flattrs follow", async () => {
    const url = `${site}/blog`;
    pages.set("/blog", "<html><head><title>Alice's blog</title></head></html>");
    const claim = (await registerThing(database.db, clock, config, mallory, { url, title: "Mine" }))
      .thing.id;
    await flattr(database.db, clock, config, bob, claim);
    await flattr(database.db, clock, config, carol, claim);
    await flattr(database.db, clock, config, alice, claim); // alice flattred the squatter too
    const own = (await registerThing(database.db, clock, config, alice, { url, title: "Blog" }))
      .thing.id;
    await flattr(database.db, clock, config, carol, own); // carol already flattred the real one
    const fetcher = httpPageFetcher(config);

    // No link back yet: not verified, and nothing moves.
    const no = await verifyThing(database.db, clock, config, fetcher, alice, own);
    expect(no).toMatchObject({ verified: false });
    expect(no.reason).toContain('rel="payment"');
    // Someone else's thing cannot be verified by alice.
    await expect(
      verifyThing(database.db, clock, config, fetcher, alice, claim),
    ).rejects.toMatchObject({ code: "thing_not_found" });

    pages.set(
      "/blog",
      `<html><head><link rel="payment" href="${config.origin.origin}/@alice"></head></html>`,
    );
    const yes = await verifyThing(database.db, clock, config, fetcher, alice, own);
    expect(yes).toEqual({ verified: true, tookOver: 1, movedFlattrs: 1 });

    const active = await queryRows<{ payer_id: string; thing_id: string }>(
      database.db,
      sql`select payer_id::text, thing_id::text from flattrs where withdrawn_at is null
          order by payer_id`,
    );
    // bob's moved; carol keeps her one flattr of the real thing; alice's own is withdrawn.
    expect(active).toEqual([
      { payer_id: String(bob), thing_id: String(own) },
      { payer_id: String(carol), thing_id: String(own) },
    ]);
    const view = await getThing(database.db, clock, config, own);
    expect(view).toMatchObject({ verified: true, flattrsThisPeriod: 2 });
    expect((await getThing(database.db, clock, config, claim)).supersededBy).toBe(own);

    // The claim takes no new flattrs, and nobody else may register the verified URL.
    await expect(flattr(database.db, clock, config, bob, claim)).rejects.toMatchObject({
      code: "thing_not_found",
    });
    await expect(
      registerThing(database.db, clock, config, carol, { url, title: "Mine too" }),
    ).rejects.toMatchObject({ code: "invalid_url" });
    expect(await checkLedger(database.db)).toEqual([]);
  });

  it("pages: the owner checks from the thing page; the page, confirmation and widget say it", async () => {
    const url = `${site}/shop`;
    pages.set("/shop", `<meta name="fediflattr" content="@alice@${config.origin.host}">`);
    const id = (await registerThing(database.db, clock, config, alice, { url, title: "Shop" }))
      .thing.id;
    const app = createApp({ config, database, clock });
    const as = async (username: string) => {
      const c = new WebClient(app.fetch, config.origin.origin, { "x-forwarded-for": username });
      await c.submit("/login", "/login", { username, password: "password123" });
      return c;
    };
    const a = await as("alice");
    const before = await (await a.get(`/things/${id}`)).text();
    expect(before).toContain('data-verified="no"');
    expect(before).toContain('data-testid="verify-box"');
    const m = await as("mallory");
    expect((await m.get(`/things/${id}`)).status).toBe(200);
    expect((await m.submit(`/things/${id}`, `/things/${id}/verify`, {})).status).toBe(404);

    const done = await a.submit(`/things/${id}`, `/things/${id}/verify`, {});
    expect(done.status).toBe(200);
    const html = await done.text();
    expect(html).toContain("this thing is verified");
    expect(html).toContain('data-verified="yes"');
    const widget = await (await a.get(`/button/${id}`)).text();
    expect(widget).toContain('data-verified="yes"');
    const confirm = await (await (await as("bob")).get(`/things/${id}/flattr`)).text();
    expect(confirm).toContain('data-verified="yes"');

    pages.delete("/shop"); // the page is gone: checking again loses the verification
    const lost = await a.submit(`/things/${id}`, `/things/${id}/verify`, {});
    expect(lost.status).toBe(422);
    expect(await lost.text()).toContain("The page answered 404.");
  });
});
