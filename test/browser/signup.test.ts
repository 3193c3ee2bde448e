import { sql } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createInvites, listInvites } from "../../src/accounts/invites.ts";
import { createUser } from "../../src/accounts/users.ts";
import { queryRows } from "../../src/db/client.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

let instance: TestInstance;
let browser: Browser;

beforeAll(async () => {
  instance = await startTestInstance({ REGISTRATION: "invite" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

it("signs up with an invite code, logs out, logs back in", async () => {
  const { db } = instance.deps.database;
  const { clock, config } = instance.deps;
  const inviter = await createUser(db, clock, {
    username: "inviter",
    email: "inviter@example.org",
    password: "password123",
  });
  const [code] = await createInvites(db, clock, config, { creator: inviter });

  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);

  // The invite link prefills the code.
  await page.goto(`${instance.origin}/signup?invite=${code}`);
  expect(await page.inputValue('input[name="invite"]')).toBe(code);
  await page.fill('input[name="username"]', "carla");
  await page.fill('input[name="email"]', "carla@example.org");
  await page.fill('input[name="password"]', "a good password");
  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Sign up")')]);
  expect(await page.textContent('[data-testid="current-user"]')).toContain("@carla");

  const session = (await context.cookies()).find((c) => c.name === "ff_session")!;
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false });
  // The real server passes the socket through: the sign-up was counted for the client address.
  const keys = await queryRows<{ key: string }>(db, sql`select key from rate_limits`);
  expect(keys.map((k) => k.key)).toContain("signup:127.0.0.1");
  const used = (await listInvites(db, inviter.id)).find((i) => i.code === code)!;
  expect(used.usedByUsername).toBe("carla");

  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Log out")')]);
  expect(await page.locator('[data-testid="current-user"]').count()).toBe(0);
  expect(await page.locator('nav a[href="/login"]').count()).toBe(1);

  await page.click('nav a[href="/login"]');
  await page.fill('input[name="username"]', "carla");
  await page.fill('input[name="password"]', "a good password");
  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Log in")')]);
  expect(await page.textContent('[data-testid="current-user"]')).toContain("@carla");
  expect(await page.textContent("h1")).toContain("Welcome, carla");

  // The same code cannot be used twice, also not in a browser.
  const other = await (await browser.newContext()).newPage();
  await other.goto(`${instance.origin}/signup?invite=${code}`);
  await other.fill('input[name="username"]', "dario");
  await other.fill('input[name="email"]', "dario@example.org");
  await other.fill('input[name="password"]', "a good password");
  await other.click('button:text("Sign up")');
  await other.waitForSelector(".error");
  expect(await other.textContent(".error")).toContain("already been used");
  if (process.env.SCREENSHOT_DIR) {
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/home.png` });
    await other.screenshot({ path: `${process.env.SCREENSHOT_DIR}/signup-error.png` });
  }
  await context.close();
});
