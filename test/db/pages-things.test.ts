import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig();
const clock = fixedClock("2026-03-15T12:00:00Z");

describe("thing pages", () => {
  it("registers a thing, shows it, lists it; the same URL again leads to the same thing", async () => {
    const m = moneyApp(config, database, clock);
    const owner = await m.user("thingowner");
    const c = await m.as(owner);

    const form = await c.get("/things/new");
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="url"');

    const res = await c.submit("/things/new", "/things", {
      url: "https://blog.example/post-1",
      title: "My <first> post",
      description: "Line one\nline two",
    });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^\/things\/\d+\?done=registered$/);
    const id = /\/things\/(\d+)/.exec(location)![1];

    const page = await c.get(location);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("My &lt;first&gt; post");
    expect(html).toContain('href="https://blog.example/post-1"');
    expect(html).toContain('href="/@thingowner"');
    const text = textOf(html);
    expect(text).toContain("Your thing is registered");
    expect(text).toContain("0 flattrs in March 2026");
    expect(text).toContain("This is your thing.");
    expect(html).not.toContain(`action="/things/${id}/flattr"`);

    const again = await c.submit("/things/new", "/things", {
      url: "https://BLOG.example/post-1#top",
      title: "Other title",
    });
    expect(again.headers.get("location")).toBe(`/things/${id}?done=existing`);

    const list = await (await c.get("/things")).text();
    expect(list).toContain(`href="/things/${id}"`);
    expect(list).toContain("My &lt;first&gt; post");
  });

  it("bad registrations answer 422 with the form, the message and the input kept", async () => {
    const m = moneyApp(config, database, clock);
    const c = await m.as(await m.user());
    for (const [fields, message] of [
      [{ url: "not a url", title: "T" }, "That is not a valid URL."],
      [{ url: "ftp://x.example/", title: "T" }, "Only http:// and https:// URLs"],
      [{ url: "https://x.example/", title: "   " }, "A title is required."],
      [{ url: "https://x.example/", title: "x".repeat(201) }, "longer than 200"],
      [{ url: `${config.origin.origin}/@someone`, title: "T" }, "cannot be registered"],
    ] as const) {
      const res = await c.submit("/things/new", "/things", fields);
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toContain('name="_csrf"');
      expect(html).toContain('name="url"');
    }
    const kept = await c.submit("/things/new", "/things", { url: "nope", title: "Kept title" });
    expect(await kept.text()).toContain('value="Kept title"');
  });

  it("unknown and malformed ids are 404 pages, not errors", async () => {
    const m = moneyApp(config, database, clock);
    const c = await m.as(await m.user());
    for (const path of [
      "/things/999999",
      "/things/abc",
      "/things/0",
      "/things/1e3",
      "/things/99999999999999999999",
    ]) {
      const res = await c.get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toContain("There is no thing");
    }
    const post = await c.submit("/things", "/things/abc/flattr", {});
    expect(post.status).toBe(404);
  });

  it("a visitor sees a login link; pages that need a login redirect; forms need CSRF", async () => {
    const m = moneyApp(config, database, clock);
    const owner = await m.user();
    const c = await m.as(owner);
    const loc = (
      await c.submit("/things/new", "/things", { url: "https://v.example/", title: "V" })
    ).headers.get("location")!;
    const id = /\/things\/(\d+)/.exec(loc)![1];
    const visitor = m.visitor();
    const page = await visitor.get(`/things/${id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`/login?next=%2Fthings%2F${id}`);
    expect((await visitor.get("/things")).status).toBe(303);
    expect((await visitor.get("/things/new")).status).toBe(303);

    // No token, or a cross-site origin: refused, nothing registered.
    const noToken = await c.post("/things", { url: "https://csrf.example/", title: "X" });
    expect(noToken.status).toBe(403);
    const html = await (await c.get("/things")).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(
      await (await c.get("/things/new")).text(),
    )![1]!;
    const crossSite = await c.post(
      "/things",
      { _csrf: token, url: "https://csrf.example/", title: "X" },
      { origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);
    expect(html).not.toContain("csrf.example");
    expect(await (await c.get("/things")).text()).not.toContain("csrf.example");
  });

  it("another user flattrs and unflattrs; refusals are 422 with the message", async () => {
    const m = moneyApp(config, database, clock);
    const owner = await m.user();
    const fan = await m.user();
    const oc = await m.as(owner);
    const loc = (
      await oc.submit("/things/new", "/things", { url: "https://f.example/", title: "F" })
    ).headers.get("location")!;
    const id = /\/things\/(\d+)/.exec(loc)![1];
    const fc = await m.as(fan);

    // No budget yet: the page says so, and the flattr is refused with the domain's message.
    const before = await (await fc.get(`/things/${id}`)).text();
    expect(before).toContain(`action="/things/${id}/flattr"`);
    expect(textOf(before)).toContain("You need a monthly budget");
    const refused = await fc.submit(`/things/${id}`, `/things/${id}/flattr`, {});
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("Set a monthly budget before you flattr");

    await setBudget(database.db, clock, config, fan, 500n);
    await deposit(database.db, config, fan, 1000n);
    const ok = await fc.submit(`/things/${id}`, `/things/${id}/flattr`, {});
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/things/${id}?done=flattred`);
    const after = textOf(await (await fc.get(`/things/${id}?done=flattred`)).text());
    expect(after).toContain("Flattred!");
    expect(after).toContain("1 flattr in March 2026");
    expect(after).toContain("1 flattr");
    expect(after).toContain("it would get €5.00 of your budget");

    const twice = await fc.submit("/things", `/things/${id}/flattr`, {});
    expect(twice.status).toBe(422);
    expect(await twice.text()).toContain("already flattred");

    // The owner cannot flattr their own thing, even by posting the form directly.
    const own = await oc.submit("/things", `/things/${id}/flattr`, {});
    expect(own.status).toBe(422);
    expect(await own.text()).toContain("You cannot flattr your own thing.");

    const un = await fc.submit(`/things/${id}`, `/things/${id}/unflattr`, {});
    expect(un.status).toBe(303);
    const unPage = textOf(await (await fc.get(`/things/${id}?done=unflattred`)).text());
    expect(unPage).toContain("0 flattrs in March 2026");
    const unTwice = await fc.submit("/things", `/things/${id}/unflattr`, {});
    expect(unTwice.status).toBe(422);
    expect(await unTwice.text()).toContain("You have not flattred this thing");

    // Logged out: 401, nothing changes.
    const anon = await m.visitor().submit("/login", `/things/${id}/flattr`, {});
    expect(anon.status).toBe(401);
  });
});
