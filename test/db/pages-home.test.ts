// The signed-in home page (src/web/pages/home.tsx over settlement/home-summary.ts): wallet, budget,
// what a flattr is worth now, the next step when something is missing, the latest flattrs given
// and received (local and from peers); and the signed-out welcome.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { receiveFlattr } from "../../src/flattr/incoming.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";
import { remoteActor } from "../helpers/remote.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const step = (html: string) => /data-step="([a-z_]+)"/.exec(html)?.[1] ?? null;

describe("home page", () => {
  it("leads a new person step by step: budget, money, a first flattr", async () => {
    const config = testConfig({ ORIGIN: "https://home.example" });
    const clock = fixedClock("2026-12-10T12:00:00Z");
    const m = moneyApp(config, database, clock);
    const creator = await m.user("homecreator");
    const payer = await m.user("homepayer");
    const c = await m.as(payer);

    let html = await (await c.get("/")).text();
    expect(step(html)).toBe("set_budget");
    expect(textOf(html)).toContain("Next step: set a monthly budget.");
    expect(html).toContain('data-testid="site-nav"');
    expect(html).toContain('action="/search"');

    await setBudget(database.db, clock, config, payer, 500n);
    html = await (await c.get("/")).text();
    expect(step(html)).toBe("top_up");

    await deposit(database.db, config, payer, 1000n);
    html = await (await c.get("/")).text();
    expect(step(html)).toBe("flattr");
    // With no flattr yet, what a first one would get: the whole budget.
    expect(textOf(html)).toContain("€5.00 for your first");

    for (let i = 1; i <= 3; i++) {
      const { thing } = await registerThing(database.db, clock, config, creator, {
        url: `https://blog.example/post-${i}`,
        title: `Post ${i}`,
      });
      clock.set(`2026-12-10T12:0${i}:00Z`);
      await flattr(database.db, clock, config, payer, thing.id);
    }
    html = await (await c.get("/")).text();
    const text = textOf(html);
    expect(step(html)).toBeNull();
    expect(text).toContain("Wallet €10.00");
    expect(text).toContain("Monthly budget €5.00");
    expect(text).toContain("December 2026: 3 flattrs about €1.66 each");
    // Newest first; the first flattr of the month gets the extra cents.
    expect(text).toMatch(
      /You flattred Post 3 by @homecreator ?, now €1\.66 Post 2 .* Post 1 by @homecreator ?, now €1\.67/,
    );

    // The creator sees who flattred them, newest first, local and remote.
    const cc = await m.as(creator);
    const ann = await remoteActor(database.db, clock, "peer.example", "ann");
    const { thing } = await registerThing(database.db, clock, config, creator, {
      url: "https://blog.example/post-remote",
      title: "Read far away",
    });
    clock.set("2026-12-11T09:00:00Z");
    const received = await receiveFlattr(database.db, clock, config, {
      activityId: "https://peer.example/flattrs/00000000000000000000000000000001",
      payer: { id: ann.id, uri: ann.uri, host: ann.host },
      thingId: thing.id,
      period: "2026-12",
      currency: config.currency,
      payerInstance: "https://peer.example/actor",
      protocolVersion: "1",
    });
    expect(received.ok).toBe(true);
    const creatorHtml = await (await cc.get("/")).text();
    const creatorText = textOf(creatorHtml);
    expect(creatorText).toMatch(
      /Your things were flattred Read far away by @ann@peer\.example ?, 11 Dec Post 3 by @homepayer/,
    );
    expect(creatorText).toContain("Your things earn in December 2026 €5.00");
    expect(creatorText).toContain("1 flattr of your things came from other servers");
    expect(creatorHtml).toContain('data-source="remote"');
  });

  it("tells visitors what Fediflattr is and how to join", async () => {
    const config = testConfig({ REGISTRATION: "open" });
    const m = moneyApp(config, database, fixedClock("2026-12-10T12:00:00Z"));
    const html = await (await m.visitor().get("/")).text();
    const text = textOf(html);
    expect(text).toContain("Give a little to what you read on the fediverse");
    expect(html.match(/<li>/g)?.length).toBe(3);
    expect(html).toContain('href="/signup"');
    expect(html).toContain('href="/login"');
    expect(html).not.toContain('data-testid="site-nav"');
  });
});

describe("error pages", () => {
  it("are in the site layout with a way back, also the site a button link came from", async () => {
    const config = testConfig({ ORIGIN: "https://err.example" });
    const m = moneyApp(config, database, fixedClock("2026-12-10T12:00:00Z"));
    const missing = await m.visitor().get("/no/such/page");
    expect(missing.status).toBe(404);
    const html = await missing.text();
    expect(html).toContain("<title>Page not found · Fediflattr</title>");
    expect(html).toContain('data-testid="way-back"');
    expect(textOf(html)).toContain("Not found: /no/such/page");

    const v = m.visitor();
    const bad = await v.get("/submit?user=nobody", { referer: "https://blog.example/post" });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const badHtml = await bad.text();
    expect(badHtml).toContain('href="https://blog.example/post"');
    expect(textOf(badHtml)).toContain("Back to blog.example");

    // The APIs keep their JSON.
    const api = await m.visitor().get("/api/flattr/v1/nothing-here");
    expect(api.headers.get("content-type")).toContain("json");
  });
});
