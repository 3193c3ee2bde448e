// Verifying a thing in headless Chromium: the owner's page on a loopback website gets the link,
// the owner checks it from the thing page, which then says "Verified"; the page at 1280 and 390
// pixels, light and dark, without horizontal overflow.
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser } from "../../src/accounts/users.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

let instance: TestInstance;
let browser: Browser;
let site: Server;
let pageHtml = "<html><head><title>Frank's recipes</title></head><body>Soup</body></html>";
const shots = process.env.SCREENSHOT_DIR ?? join(tmpdir(), "ff-shots-verified");

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  site = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" }).end(pageHtml);
  });
  await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
  instance = await startTestInstance();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await new Promise((r) => site?.close(r));
});

async function lookAt(page: Page, name: string) {
  for (const width of [1280, 390]) {
    for (const colorScheme of ["light", "dark"] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, `${name} at ${width}px ${colorScheme}`).toBeLessThanOrEqual(0);
      await page.screenshot({
        path: join(shots, `${name}-${width}-${colorScheme}.png`),
        fullPage: true,
      });
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

it("the owner adds the link, checks the page, and the thing says it is verified", async () => {
  const { database, clock, config } = instance.deps;
  const frank = await createUser(database.db, clock, {
    username: "frank",
    email: "frank@example.org",
    password: "password123",
  });
  const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/recipes`;
  const { thing } = await registerThing(database.db, clock, config, frank.id, {
    url,
    title: "Frank's recipes",
  });

  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${instance.origin}/login`);
  await page.fill('input[name="username"]', "frank");
  await page.fill('input[name="password"]', "password123");
  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Log in")')]);

  await page.goto(`${instance.origin}/things/${thing.id}`);
  expect(await page.getAttribute('[data-testid="verified"]', "data-verified")).toBe("no");
  await page.click('button:text("Check the page now")');
  await page.waitForSelector(".error");
  expect(await page.textContent(".error")).toContain('rel="payment"');

  // The snippet the box shows, put on the page.
  const snippet = (await page.textContent('[data-testid="verify-box"] code'))!;
  pageHtml = `<html><head>${snippet.split("\n")[0]}</head><body>Soup</body></html>`;
  await page.click('button:text("Check the page now")');
  await page.waitForSelector(".notice");
  expect(await page.textContent(".notice")).toContain("this thing is verified");
  expect(await page.getAttribute('[data-testid="verified"]', "data-verified")).toBe("yes");
  await lookAt(page, "thing-verified");
  await context.close();
});
