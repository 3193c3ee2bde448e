import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser } from "../../src/accounts/users.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

/*
 * Posts in a real browser, at a desktop and a phone width: write one (links, a mention, markup
 * that must stay text), see it on its page, follow its author from their profile and see it on
 * the home page with a flattr link, edit it, delete it (its page answers 410, its thing page
 * says so), and a refused post keeps the text typed.
 */

let instance: TestInstance;
let browser: Browser;
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  instance = await startTestInstance();
  browser = await launchBrowser();
  const { db } = instance.deps.database;
  const { clock } = instance.deps;
  for (const username of ["alice", "carol"])
    await createUser(db, clock, {
      username,
      email: `${username}@example.org`,
      password: "password123",
      displayName: username === "alice" ? "Alice Example" : "",
    });
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

async function loggedIn(username: string, width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${instance.origin}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', "password123");
  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Log in")')]);
  return page;
}

const text = async (page: Page, selector: string) =>
  ((await page.textContent(selector)) ?? "").replace(/\s+/g, " ").trim();

for (const width of [1280, 390]) {
  it(`write, follow, see, edit and delete a post at ${width} px`, async () => {
    const origin = instance.origin;
    const alice = await loggedIn("alice", width);
    await alice.fill(
      'textarea[name="content"]',
      `Hello @carol! My <b>first</b> post at ${width} px:\nhttps://example.com/a/rather/long/path/to/something?x=1\n\nSecond paragraph.`,
    );
    await Promise.all([
      alice.waitForURL(/\/@alice\/posts\/\d+$/),
      alice.click('button:text("Post")'),
    ]);
    const postUrl = alice.url();
    const status = alice.locator('[data-testid="status"]');
    expect(await status.locator("a.mention").getAttribute("href")).toBe(`${origin}/@carol`);
    const link = status.locator('.content a[rel="nofollow noopener noreferrer"]');
    expect(await link.getAttribute("href")).toBe(
      "https://example.com/a/rather/long/path/to/something?x=1",
    );
    // The markup typed is text, not HTML.
    expect(await text(alice, '[data-testid="status"] .content')).toContain("My <b>first</b> post");
    expect(await status.locator(".content p").count()).toBe(2);
    expect(await status.locator('a:text("Edit")').count()).toBe(1);
    if (shots) await alice.screenshot({ path: `${shots}/post-${width}.png`, fullPage: true });

    // Carol follows Alice from her profile and finds the post on her home page.
    const carol = await loggedIn("carol", width);
    await carol.goto(`${origin}/@alice`);
    await Promise.all([
      carol.waitForURL(`${origin}/@alice`),
      carol.click('form[action="/follow"] button'),
    ]);
    expect(await text(carol, '[data-testid="follow-counts"]')).toContain("1 follower");
    if (shots) await carol.screenshot({ path: `${shots}/profile-${width}.png`, fullPage: true });
    await carol.goto(`${origin}/`);
    const onHome = carol.locator('[data-testid="status"]', { hasText: `${width} px` });
    expect(await onHome.count()).toBe(1);
    const flattr = await onHome.locator('a:text("Flattr")').getAttribute("href");
    expect(flattr).toMatch(/^\/things\/\d+\/flattr$/);
    if (shots) await carol.screenshot({ path: `${shots}/home-${width}.png`, fullPage: true });

    // Alice edits it.
    await alice.click('a:text("Edit")');
    await alice.fill('textarea[name="content"]', `Edited at ${width} px.`);
    await Promise.all([alice.waitForURL(/\?saved$/), alice.click('button:text("Save")')]);
    expect(await text(alice, '[data-testid="status"]')).toContain(`Edited at ${width} px.`);
    expect(await text(alice, '[data-testid="status"] .meta')).toContain("(edited)");

    // And deletes it: its page answers 410, its thing page keeps the flattrs and says why.
    await Promise.all([
      alice.waitForURL(`${origin}/@alice?deleted`),
      alice.click('[data-testid="status"] button:text("Delete")'),
    ]);
    expect(await text(alice, ".notice")).toContain("deleted");
    const gone = await alice.goto(postUrl);
    expect(gone?.status()).toBe(410);
    await alice.click('a:text("its thing page")');
    expect(await text(alice, '[data-testid="post-deleted"]')).toContain("deleted by its author");

    // A refused post comes back with its text and the reason.
    await alice.goto(`${origin}/posts/new`);
    await alice.fill('textarea[name="content"]', "x".repeat(5001));
    await alice.click('button:text("Post")');
    await alice.waitForSelector(".error");
    expect(await text(alice, ".error")).toContain("at most 5000 characters");
    expect((await alice.inputValue('textarea[name="content"]')).length).toBe(5001);
    if (shots)
      await alice.screenshot({ path: `${shots}/post-refused-${width}.png`, fullPage: true });

    // Carol stops following (so the next width starts afresh).
    await carol.goto(`${origin}/following`);
    await carol.click('[data-testid="follow-entry"] button:text("Unfollow")');
    await carol.waitForURL(`${origin}/following`);
    expect(await carol.locator('[data-testid="follow-entry"]').count()).toBe(0);
    await alice.context().close();
    await carol.context().close();
  });
}
