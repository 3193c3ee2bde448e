import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { blockedDomains } from "../../src/db/schema/index.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { actorData, FakeLookup, noteData } from "../helpers/fake-lookup.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

// The search page and remote thing pages over HTTP, with a fake RemoteLookup (the real one is
// exercised in test/federation/resolve.test.ts and test/browser/resolve.test.ts).
let database: Database;
let pages: ReturnType<typeof moneyApp>;
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));
const config = testConfig({ ORIGIN: "https://flattr.example" });
const lookup = new FakeLookup({
  config,
  clock,
  get database() {
    return database;
  },
})
  .addActor(actorData("https://social.example/users/ann"), "ann@social.example")
  .addActor(actorData("https://peer.example/users/pia"), "pia@peer.example")
  .addObject(
    noteData("https://social.example/users/ann/statuses/1", "https://social.example/users/ann"),
  );
lookup.peers.add("peer.example");

beforeAll(async () => {
  database = await createTestDatabase();
  pages = moneyApp(config, database, clock, { remoteLookup: lookup });
});
afterAll(async () => {
  await database?.close();
});

describe("the search page", () => {
  it("is for logged-in users; a hit redirects to the thing page", async () => {
    const visitor = await pages.visitor().get("/search?q=%40ann%40social.example");
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toMatch(/^\/login\?next=/);
    expect(lookup.calls).toEqual([]);

    const paul = await pages.as(await pages.user("paul"));
    const empty = await paul.get("/search");
    expect(empty.status).toBe(200);
    expect(textOf(await empty.text())).toContain("Find something to flattr");

    const hit = await paul.get("/search?q=%40ann%40social.example");
    expect(hit.status).toBe(303);
    const location = hit.headers.get("location")!;
    expect(location).toMatch(/^\/things\/\d+$/);
    const page = textOf(await (await paul.get(location)).text());
    expect(page).toContain("By ann (remote) (@ann@social.example)");
    expect(page).toContain("held for them until they claim it");
  });

  it("answers refusals on the page with their status, never a 500", async () => {
    await database.db
      .insert(blockedDomains)
      .values({ host: "blocked.example", createdAt: clock.now() });
    const paul = await pages.as(await pages.user());
    const cases: [string, number, string][] = [
      ["@x@blocked.example", 403, "blocked"],
      ["@nobody@social.example", 404, "There is no account @nobody@social.example"],
      ["hello world", 422, "neither a fediverse handle"],
      [`https://x.example/${"a".repeat(5000)}`, 422, "longer than"],
      ["\u0000", 422, ""],
    ];
    for (const [q, status, words] of cases) {
      const r = await paul.get(`/search?q=${encodeURIComponent(q)}`);
      expect(r.status, q).toBe(status);
      expect(textOf(await r.text())).toContain(words);
    }
  });
});

describe("a remote thing's page", () => {
  it("shows its owner, where the money goes, and the flattr button", async () => {
    const paul = await pages.as(await pages.user());
    const hit = await paul.get(
      `/search?q=${encodeURIComponent("https://social.example/users/ann/statuses/1")}`,
    );
    const location = hit.headers.get("location")!;
    const html = await (await pages.visitor().get(location)).text();
    expect(html).toContain('href="https://social.example/@ann"');
    expect(textOf(html)).toContain("Hello from elsewhere.");
    expect(textOf(html)).toContain("Log in to flattr this.");
    const mine = await (await paul.get(location)).text();
    expect(mine).toContain(`action="${location}/flattr"`);
    const confirm = textOf(await (await paul.get(`${location}/flattr`)).text());
    expect(confirm).toContain("held for them until they claim it");

    const peer = await paul.get("/search?q=pia%40peer.example");
    const peerPage = textOf(await (await paul.get(peer.headers.get("location")!)).text());
    expect(peerPage).toContain("Paid through peer.example, a Flattr server");
  });

  it("says when the object was deleted on its server", async () => {
    const uri = "https://social.example/users/ann/statuses/2";
    lookup.addObject(noteData(uri, "https://social.example/users/ann"));
    const paul = await pages.as(await pages.user());
    const location = (await paul.get(`/search?q=${encodeURIComponent(uri)}`)).headers.get(
      "location",
    )!;
    clock.advance(2 * 86400_000);
    lookup.fail(uri, "gone");
    expect((await paul.get(`/search?q=${encodeURIComponent(uri)}`)).headers.get("location")).toBe(
      location,
    );
    expect(textOf(await (await paul.get(location)).text())).toContain(
      "This was deleted on its server.",
    );
  });
});
