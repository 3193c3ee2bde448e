import { createServer, type Server } from "node:http";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser } from "../../src/accounts/users.ts";
import { queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { csrfTokenForSession } from "../../src/web/csrf.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { deposit } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

/*
 * A website on another 127.0.0.1 port embeds the button. Same host, other port: cross-origin but
 * same-site, so the browser even sends our SameSite=Lax session cookie along with its forged
 * POSTs; only the Origin/Sec-Fetch-Site checks and the CSRF token stand in the way.
 */

let instance: TestInstance;
let browser: Browser;
let site: Server;
let siteOrigin: string;
let pageHtml = "";
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  instance = await startTestInstance({ FEE_BP: "500" });
  browser = await launchBrowser();
  site = createServer((req, res) => {
    if (req.method === "POST") {
      res.writeHead(418).end("the third-party site got a POST it should not");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(pageHtml);
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  const address = site.address();
  siteOrigin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await instance?.stop();
});

async function activeFlattrs(thingId: number): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    instance.deps.database.db,
    sql`select count(*)::text as n from flattrs where thing_id = ${thingId} and withdrawn_at is null`,
  );
  return Number(row!.n);
}

async function widgetCount(page: Page, index: number): Promise<string> {
  const frame = page.frameLocator("iframe.fediflattr-button-frame").nth(index);
  return (await frame.locator('[data-testid="count"]').textContent()) ?? "";
}

it("embedded button: widget, confirm on our origin after login, counter; forged POSTs fail", async () => {
  const { db } = instance.deps.database;
  const { clock, config } = instance.deps;
  const origin = instance.origin;
  const maria = await createUser(db, clock, {
    username: "maria",
    email: "maria@example.org",
    password: "maria's password",
    displayName: "Maria Creator",
  });
  const paul = await createUser(db, clock, {
    username: "paul",
    email: "paul@example.org",
    password: "paul's password",
  });
  await setBudget(db, clock, config, paul.id, 500n);
  await deposit(db, config, paul.id, 2000n);
  const { thing } = await registerThing(db, clock, config, maria.id, {
    url: `${siteOrigin}/blog/first`,
    title: "My first post",
  });
  const { thing: target } = await registerThing(db, clock, config, maria.id, {
    url: `${siteOrigin}/blog/second`,
    title: "A post nobody flattred",
  });
  const submitHref = `${origin}/submit?${new URLSearchParams({
    user: "maria",
    url: `${siteOrigin}/blog/third`,
    title: "Third post",
  })}`;

  pageHtml = `<!doctype html><html><head><meta charset="utf-8"><title>Maria's blog</title>
<script async src="${origin}/button.js"></script></head>
<body style="font-family: sans-serif">
<h1>My first post</h1>
<p>Normal: <a class="fediflattr-button" href="${origin}/things/${thing.id}/flattr">Flattr this</a></p>
<p>Compact: <a class="fediflattr-button" data-compact href="${origin}/things/${thing.id}">Flattr</a></p>
<p>Auto-submit: <a class="fediflattr-button" data-compact href="${submitHref.replace(/&/g, "&amp;")}">Flattr</a></p>
<p>Other site, untouched: <a class="fediflattr-button" id="foreign" href="https://elsewhere.example/things/1">x</a></p>
<p><img id="badge" src="${origin}/badge/${thing.id}.svg" alt="Flattr"></p>
<iframe id="framed-page" src="${origin}/things/${thing.id}/flattr" width="300" height="100"></iframe>
<form id="forged" method="post" action="${origin}/things/${target.id}/flattr?confirm">
  <input name="_csrf" value=""></form>
<form id="forged-page" method="post" action="${origin}/things/${target.id}/flattr">
  <input name="_csrf" value=""></form>
<form id="forged-submit" method="post" action="${origin}/submit">
  <input name="_csrf" value=""><input name="user" value="maria">
  <input name="url" value="${siteOrigin}/blog/forged"><input name="title" value="Forged"></form>
</body></html>`;

  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${siteOrigin}/`);

  // button.js replaced our three links by widgets, and left the foreign one alone.
  await expect.poll(() => page.locator("iframe.fediflattr-button-frame").count()).toBe(3);
  expect(await page.locator("a#foreign").count()).toBe(1);
  expect(await widgetCount(page, 0)).toBe("0");
  expect(await widgetCount(page, 1)).toBe("0");
  expect(await widgetCount(page, 2)).toBe("0");
  const badgeWidth = await page
    .locator("#badge")
    .evaluate((img: HTMLImageElement) => img.naturalWidth);
  expect(badgeWidth).toBeGreaterThan(50);
  // Our other pages refuse to be framed: Chromium shows its "blocked" page in that frame.
  const framed = await (await page.$("#framed-page"))!.contentFrame();
  const framedText = await framed!.evaluate(() => document.body?.textContent ?? "");
  expect(framed!.url()).toBe("chrome-error://chromewebdata/");
  expect(framedText).not.toContain("My first post");
  if (shots) await page.screenshot({ path: `${shots}/third-party.png` });

  // The widget's link opens our confirmation in a new window: log in first, then back to it.
  const [popup] = await Promise.all([
    page.waitForEvent("popup"),
    page.frameLocator("iframe.fediflattr-button-frame").first().locator("a").click(),
  ]);
  popup.setDefaultTimeout(20_000);
  await popup.waitForURL(/\/login\?next=/);
  // The widget keeps the opener: the confirmation tells the host page when it is done.
  expect(await popup.evaluate(() => window.opener !== null)).toBe(true);
  await popup.fill('input[name="username"]', "paul");
  await popup.fill('input[name="password"]', "paul's password");
  await Promise.all([
    popup.waitForURL(`${origin}/things/${thing.id}/flattr`),
    popup.click('button:text("Log in")'),
  ]);
  expect(await popup.textContent("h1")).toBe("Flattr “My first post”?");
  expect(await popup.textContent('[data-testid="owner"]')).toContain("Maria Creator (@maria)");
  expect(await popup.textContent('[data-testid="budget"]')).toContain("€5.00");
  expect(await popup.textContent('[data-testid="fee"]')).toContain("5%");
  expect(await activeFlattrs(thing.id)).toBe(0); // nothing happened yet
  if (shots) await popup.screenshot({ path: `${shots}/confirm.png`, fullPage: true });

  // The host page hears of the flattr from the confirmation (postMessage to the opener's page).
  await page.evaluate(() => {
    (window as unknown as { heard: unknown[] }).heard = [];
    window.addEventListener("message", (e) =>
      (window as unknown as { heard: unknown[] }).heard.push(e.data),
    );
  });
  await Promise.all([popup.waitForEvent("close"), popup.click('[data-testid="confirm-flattr"]')]);
  expect(await activeFlattrs(thing.id)).toBe(1);
  const heard = await page.evaluate(() => (window as unknown as { heard: unknown[] }).heard);
  expect(heard).toContainEqual({ type: "fediflattr:flattred", thingId: thing.id, count: 1 });

  // The counters show the new flattr without a reload or a focus event: button.js refreshed them.
  await expect.poll(() => widgetCount(page, 0)).toBe("1");
  await page.reload();
  await expect.poll(() => page.locator("iframe.fediflattr-button-frame").count()).toBe(3);
  expect(await widgetCount(page, 0)).toBe("1");
  expect(await widgetCount(page, 1)).toBe("1");
  if (shots) {
    await page.locator("iframe.fediflattr-button-frame").nth(2).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/third-party-after.png` });
  }

  // Forged POSTs from the website, with the browser logged in and even with the right token.
  const session = (await context.cookies(origin)).find((c) => c.name === "ff_session")!;
  const token = csrfTokenForSession(session.value);
  const before = await queryRows<{ n: string }>(db, sql`select count(*)::text as n from things`);
  for (const form of ["forged", "forged-page", "forged-submit"]) {
    for (const value of ["guessed", token]) {
      await page.goto(`${siteOrigin}/`);
      await page.locator(`#${form} input[name="_csrf"]`).evaluate((el: HTMLInputElement, v) => {
        el.value = v;
      }, value);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST"),
        page.locator(`#${form}`).evaluate((f: HTMLFormElement) => f.submit()),
      ]);
      await page.waitForURL((u) => u.href.startsWith(origin));
      expect(response.status(), `${form} ${value === token ? "real token" : "guess"}`).toBe(403);
    }
  }
  expect(await activeFlattrs(target.id)).toBe(0);
  expect(await queryRows(db, sql`select count(*)::text as n from things`)).toEqual(before);

  // The undo form on the result page works (and only from our own page).
  const result = await context.newPage();
  result.setDefaultTimeout(20_000);
  await result.goto(`${origin}/things/${thing.id}/flattr`);
  expect(await result.textContent("h1")).toBe("You flattred “My first post”");
  expect(await result.textContent('[data-testid="value"]')).toContain("€4.75");
  if (shots) await result.screenshot({ path: `${shots}/flattred.png`, fullPage: true });
  await Promise.all([
    result.waitForSelector('[data-testid="confirm-flattr"]'),
    result.click('[data-testid="undo"]'),
  ]);
  expect(await activeFlattrs(thing.id)).toBe(0);
  await context.close();
});

it("the auto-submit link registers the page on the first confirmed flattr", async () => {
  const origin = instance.origin;
  const url = `${siteOrigin}/blog/auto`;
  const href = `${origin}/submit?${new URLSearchParams({ user: "maria", url, title: "Auto post" })}`;
  pageHtml = `<!doctype html><html><head><meta charset="utf-8"><title>Blog</title></head><body>
<a id="plain" href="${href.replace(/&/g, "&amp;")}">Flattr this (no JavaScript)</a></body></html>`;
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${siteOrigin}/`);
  await page.click("#plain");
  await page.waitForURL(/\/login\?next=%2Fsubmit%3F/);
  await page.fill('input[name="username"]', "paul");
  await page.fill('input[name="password"]', "paul's password");
  await Promise.all([page.waitForURL(/\/submit\?/), page.click('button:text("Log in")')]);
  expect(await page.textContent('[data-testid="first-flattr"]')).toContain("not registered");
  await Promise.all([
    page.waitForSelector('[data-testid="flattred"]'),
    page.click('[data-testid="confirm-flattr"]'),
  ]);
  expect(await page.textContent("h1")).toBe("You flattred “Auto post”");
  const [row] = await queryRows<{ title: string }>(
    instance.deps.database.db,
    sql`select title from things where url = ${url}`,
  );
  expect(row?.title).toBe("Auto post");
  await context.close();
});
