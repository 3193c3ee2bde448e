import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser } from "../helpers/browser.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { captureLogs, setupUrlsIn } from "../helpers/log.ts";

/*
 * The first run as an operator meets it: start a fresh instance, open the link from its log in a
 * browser, create the first administrator, and land logged in. Laid out at desktop and phone width.
 */

let logs: Awaited<ReturnType<typeof captureLogs>>;
let instance: TestInstance;
let browser: Browser;
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  logs = await captureLogs();
  instance = await startTestInstance({ REGISTRATION: "invite" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await logs?.stop();
});

/** Nothing sticks out sideways (no horizontal scrolling on a phone). */
const overflows = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

it("creates the first administrator from the link in the log", async () => {
  const [url] = setupUrlsIn(logs.lines);
  expect(url).toMatch(new RegExp(`^${instance.origin}/setup/`));

  for (const width of [1280, 390]) {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const response = await page.goto(url!);
    expect(response?.status()).toBe(200);
    expect(await page.textContent("h1")).toBe("Set up this instance");
    expect(await page.inputValue('input[name="username"]')).toBe("admin");
    expect(await overflows(page)).toBe(false);
    if (shots) await page.screenshot({ path: `${shots}/setup-${width}.png`, fullPage: true });
    await context.close();
  }

  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(url!);
  await page.fill('input[name="email"]', "operator@example.org");
  await page.fill('input[name="password"]', "short");
  // The browser's own check (minlength) stops a short password before it is sent.
  await page.click('button:text("Create administrator")');
  expect(await page.evaluate(() => location.pathname)).toBe(new URL(url!).pathname);
  await page.fill('input[name="password"]', "a good long password");
  await Promise.all([
    page.waitForURL(`${instance.origin}/`),
    page.click('button:text("Create administrator")'),
  ]);
  expect(await page.textContent('[data-testid="current-user"]')).toContain("@admin");
  expect(await page.textContent("h1")).toContain("Welcome, admin");
  if (shots) await page.screenshot({ path: `${shots}/setup-done-390.png`, fullPage: true });

  // The link is spent: the same browser (now an administrator) gets the "set up" page.
  const again = await page.goto(url!);
  expect(again?.status()).toBe(410);
  expect(await page.textContent("h1")).toBe("This instance is set up");
  if (shots) await page.screenshot({ path: `${shots}/setup-used-390.png`, fullPage: true });
  await context.close();
});
