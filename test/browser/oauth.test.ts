import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { setBudget } from "../../src/flattr/budget.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { createTestUser, PASSWORD, pkce, registerApp, tokenRequest } from "../helpers/mastodon.ts";

/*
 * Signing in to the instance from a Mastodon app in a real browser: the app's authorize URL
 * leads to the login, back to the consent page, and to the app's redirect URI with a code,
 * which the app exchanges. SCREENSHOT_DIR=<dir> keeps the consent page at desktop and phone widths.
 */

let instance: TestInstance;
let browser: Browser;
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  instance = await startTestInstance();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

it("logs in, shows the consent page with the flattr warning, and returns a code", async () => {
  const user = await createTestUser(instance, "erin");
  const { database, clock, config } = instance.deps;
  await setBudget(database.db, clock, config, user.id, 500n);
  const redirect = `${instance.origin}/app-callback`;
  const app = await registerApp(instance, {
    client_name: "Phanpy",
    website: "https://phanpy.social",
    redirect_uris: redirect,
  });
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    client_id: app.client_id,
    redirect_uri: redirect,
    response_type: "code",
    scope: "read write follow push",
    state: "from-the-app",
    code_challenge: challenge,
    code_challenge_method: "S256",
  });

  for (const width of [1280, 390]) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${instance.origin}/oauth/authorize?${query}`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill('input[name="username"]', "erin");
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="consent"]');
    const text = await page.textContent("main");
    expect(text).toContain("Phanpy");
    expect(text).toContain("https://phanpy.social");
    expect(text).toContain("This app can flattr for you");
    expect(text).toContain("€5.00");
    expect(text).toContain("Change everything of your account");
    if (shots) await page.screenshot({ path: `${shots}/consent-${width}.png`, fullPage: true });
    // No horizontal scrolling on a phone.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);

    await page.click('button[value="approve"]');
    await page.waitForURL((u) => u.pathname === "/app-callback");
    const back = new URL(page.url());
    expect(back.searchParams.get("state")).toBe("from-the-app");
    const t = await tokenRequest(instance, {
      grant_type: "authorization_code",
      client_id: app.client_id,
      client_secret: app.client_secret,
      redirect_uri: redirect,
      code: back.searchParams.get("code")!,
      code_verifier: verifier,
    });
    expect(t.status).toBe(200);
    await context.close();
  }

  // The app is listed on the settings page and can be revoked after a confirmation.
  const context = await browser.newContext({ viewport: { width: 390, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${instance.origin}/login?next=/settings/apps`);
  await page.fill('input[name="username"]', "erin");
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForSelector("[data-app-id]");
  expect(await page.textContent("main")).toContain("Phanpy");
  if (shots) await page.screenshot({ path: `${shots}/apps-390.png`, fullPage: true });
  expect(
    await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    ),
  ).toBeLessThanOrEqual(0);
  await page.click("text=Revoke");
  await page.waitForSelector('form[action$="/revoke"]');
  await page.click('button[type="submit"]:has-text("Revoke")');
  await page.waitForSelector("text=The app was revoked.");
  expect(await page.textContent("main")).toContain("No app can use your account");
  await context.close();
});
