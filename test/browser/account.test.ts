// Account self-service in headless Chromium: change the password (the other browser is logged
// out), an admin's reset link, deleting the account; the pages at 1280 and 390 pixels, light and
// dark, without horizontal overflow.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser } from "../../src/accounts/users.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

let instance: TestInstance;
let browser: Browser;
const shots = process.env.SCREENSHOT_DIR ?? join(tmpdir(), "ff-shots-account");

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  instance = await startTestInstance();
  browser = await launchBrowser();
  const { db } = instance.deps.database;
  const { clock } = instance.deps;
  for (const [username, isAdmin] of [
    ["erin", false],
    ["boss", true],
  ] as const) {
    await createUser(db, clock, {
      username,
      email: `${username}@example.org`,
      password: "password123",
      isAdmin,
    });
  }
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

async function logIn(username: string, password: string, userAgent?: string): Promise<Page> {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${instance.origin}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Log in")')]);
  return page;
}

/** Screenshots at both widths in both schemes; none may scroll sideways. */
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

it("changes the password: the other browser is logged out, this one stays", async () => {
  const elsewhere = await logIn("erin", "password123", "Elsewhere/1.0 (a phone)");
  const page = await logIn("erin", "password123", "Here/1.0 (a laptop)");
  await page.goto(`${instance.origin}/settings`);
  await page.click('a[href="/settings/account"]');
  const sessions = page.locator('[data-testid="sessions"] tbody tr');
  expect(await sessions.count()).toBe(2);
  expect(await page.textContent('[data-testid="sessions"]')).toContain("Elsewhere/1.0 (a phone)");
  await lookAt(page, "account");

  await page.fill('#password input[name="current"]', "password123");
  await page.fill('#password input[name="next"]', "a new password");
  await page.fill('#password input[name="repeat"]', "a new password");
  await page.click('button:text("Change password")');
  await page.waitForSelector("#password .notice");
  expect(await page.textContent("#password .notice")).toContain("logged out everywhere else");
  expect(await sessions.count()).toBe(1);

  await elsewhere.goto(`${instance.origin}/settings/account`);
  expect(new URL(elsewhere.url()).pathname).toBe("/login");
  await elsewhere.context().close();
  await page.context().close();
});

it("an admin's one-time link sets a new password", async () => {
  const admin = await logIn("boss", "password123");
  await admin.goto(`${instance.origin}/admin/users`);
  await admin.fill('input[name="username"]', "erin");
  await admin.click('button:text("Make a reset link")');
  const link = (await admin.textContent('[data-testid="reset-link"]'))!.trim();
  await lookAt(admin, "admin-users");
  await admin.context().close();

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  expect(await page.textContent("main")).toContain("@erin");
  await page.fill('input[name="password"]', "reset password 1");
  await page.fill('input[name="repeat"]', "reset password 1");
  await Promise.all([
    page.waitForURL(/\/login\?reset$/),
    page.click('button:text("Set password")'),
  ]);
  expect(await page.textContent(".notice")).toContain("new password is set");
  await page.goto(link);
  expect(await page.textContent(".error")).toContain("does not work");
  await context.close();
  (await logIn("erin", "reset password 1")).context().close();
});

it("deletes the account after saying what becomes of the money", async () => {
  const page = await logIn("erin", "reset password 1");
  await page.goto(`${instance.origin}/settings/account`);
  await page.click('a[href="/settings/delete"]');
  expect(await page.textContent('[data-testid="deletion-money"]')).toContain("€0.00");
  await lookAt(page, "delete");
  await page.fill('input[name="password"]', "reset password 1");
  await page.check('input[name="confirm"]');
  await page.click('button:text("Delete my account")');
  await page.waitForSelector('[data-testid="deleted"]');
  expect(await page.locator('[data-testid="current-user"]').count()).toBe(0);
  await page.context().close();
});
