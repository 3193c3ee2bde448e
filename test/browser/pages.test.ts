import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser, updateProfile } from "../../src/accounts/users.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { deposit } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

/*
 * The pages people come back to, in a real browser at 1280 and 390 pixels wide, light and dark:
 * home, discovery, the money pages, a thing with a long unbroken title and a bidi override, a
 * profile, an error page. None may scroll sideways; the site navigation collapses behind "Menu"
 * on a phone. Screenshots go to SCREENSHOT_DIR when it is set.
 */

let instance: TestInstance;
let browser: Browser;
const shots = process.env.SCREENSHOT_DIR;
let thingId = 0;

beforeAll(async () => {
  instance = await startTestInstance({ REGISTRATION: "open" });
  browser = await launchBrowser();
  const { db } = instance.deps.database;
  const { clock, config } = instance.deps;
  const make = (username: string) =>
    createUser(db, clock, {
      username,
      email: `${username}@example.org`,
      password: "password123",
      allowReserved: true,
    });
  const rosa = await make("rosa");
  const tom = await make("tom");
  await updateProfile(db, rosa.id, {
    displayName: "Rosa Writes",
    bio: "Essays at https://rosa.example/essays and notes.",
  });
  const long = `A${"very".repeat(30)}longtitle and \u202Eevil override text`;
  thingId = (
    await registerThing(db, clock, config, rosa.id, { url: "https://rosa.example/1", title: long })
  ).thing.id;
  const second = await registerThing(db, clock, config, rosa.id, {
    url: "https://rosa.example/2",
    title: "On gardens",
  });
  await setBudget(db, clock, config, tom.id, 500n);
  await deposit(db, config, tom.id, 2000n);
  await flattr(db, clock, config, tom.id, thingId);
  await flattr(db, clock, config, tom.id, second.thing.id);
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

async function logIn(page: Page, username: string) {
  await page.goto(`${instance.origin}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', "password123");
  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Log in")')]);
}

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

const PAGES = [
  "/",
  "/discover",
  "/flattrs",
  "/wallet",
  "/budget",
  "/statements",
  "/things/THING",
  "/@rosa",
  "/no/such/page",
];

for (const width of [1280, 390]) {
  for (const scheme of ["light", "dark"] as const) {
    it(`pages at ${width} px, ${scheme}: no sideways scrolling, navigation reachable`, async () => {
      const context = await browser.newContext({
        viewport: { width, height: 900 },
        colorScheme: scheme,
      });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      // Signed out first: the welcome.
      await page.goto(`${instance.origin}/`);
      expect(await page.textContent("h1")).toBe("Flattr for the fediverse");
      expect(await overflow(page), "welcome").toBeLessThanOrEqual(0);
      if (shots) await page.screenshot({ path: `${shots}/welcome-${width}-${scheme}.png` });

      await logIn(page, "tom");
      for (const raw of PAGES) {
        const path = raw.replace("THING", String(thingId));
        await page.goto(`${instance.origin}${path}`);
        expect(await overflow(page), path).toBeLessThanOrEqual(0);
        const name = path === "/" ? "home" : path.replace(/[^a-z0-9]+/gi, "-").replace(/^-/, "");
        if (shots)
          await page.screenshot({
            path: `${shots}/${name}-${width}-${scheme}.png`,
            fullPage: true,
          });
      }
      // The background follows the scheme.
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe(scheme === "dark" ? "rgb(22, 22, 23)" : "rgb(250, 250, 248)");

      // The money pages are one click away; on a phone behind "Menu".
      await page.goto(`${instance.origin}/`);
      const nav = page.locator('[data-testid="site-nav"]');
      if (width === 390) {
        expect(await nav.isVisible()).toBe(false);
        await page.click("label.nav-toggle");
        expect(await nav.isVisible()).toBe(true);
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        if (shots) await page.screenshot({ path: `${shots}/menu-${width}-${scheme}.png` });
      }
      await Promise.all([
        page.waitForURL(`${instance.origin}/wallet`),
        nav.locator('a:text("Wallet")').click(),
      ]);
      expect(await page.getAttribute('nav.site a[href="/wallet"]', "aria-current")).toBe("page");
      await context.close();
    });
  }
}

it("home: the month, the next step, the latest flattrs, and the find box leads to a thing", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await logIn(page, "tom");
  expect(await page.textContent('[data-testid="home-balance"]')).toContain("€20.00");
  expect(await page.textContent('[data-testid="home-each"]')).toContain("€2.50 each");
  expect(await page.locator('[data-testid="latest-given"] li').count()).toBe(2);
  expect(await page.locator('[data-testid="next-step"]').count()).toBe(0);
  await page.fill('form.home-search input[name="q"]', `${instance.origin}/@rosa`);
  await Promise.all([
    page.waitForURL(/\/things\/\d+$/),
    page.click('form.home-search button[type="submit"]'),
  ]);
  expect(await page.textContent("h1")).toContain("Rosa");
  // The long title wraps inside the page, the override stays inside its own box.
  await page.goto(`${instance.origin}/things/${thingId}`);
  const h1 = await page.locator("h1").boundingBox();
  expect(h1!.width).toBeLessThanOrEqual(1280);
  await context.close();
});
