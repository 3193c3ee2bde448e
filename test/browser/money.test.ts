import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser } from "../../src/accounts/users.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { periodBounds, periodOf } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

/*
 * The money pages in a real browser against a real instance: an admin records a bank transfer,
 * a user sets a budget and flattrs three things a creator registered, "this month" shows the
 * projected split, and after the close the creator's earnings page, statement and CSV show the
 * exact amounts.
 */

let instance: TestInstance;
let browser: Browser;
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  // The worker must not close the period on its own: the test closes it with a later clock.
  instance = await startTestInstance({ FEE_BP: "500", CLOSE_GRACE_SECONDS: "2678400" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

async function loggedIn(username: string): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const login = await page.goto(`${instance.origin}/login`);
  expect(login?.status(), await login?.text()).toBe(200);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', "password123");
  await Promise.all([page.waitForURL(`${instance.origin}/`), page.click('button:text("Log in")')]);
  return page;
}

const text = async (page: Page, selector: string) =>
  ((await page.textContent(selector)) ?? "").replace(/\s+/g, " ").trim();

it("deposit, budget, things, flattrs, close, earnings and CSV in a browser", async () => {
  const { db } = instance.deps.database;
  const { clock, config } = instance.deps;
  const make = (username: string, isAdmin = false) =>
    createUser(db, clock, {
      username,
      email: `${username}@example.org`,
      password: "password123",
      isAdmin,
      allowReserved: true,
    });
  await make("admin", true);
  await make("alice");
  await make("carol");
  const origin = instance.origin;

  // Carol registers three things.
  const carol = await loggedIn("carol");
  const thingIds: string[] = [];
  for (const n of [1, 2, 3]) {
    await carol.goto(`${origin}/things/new`);
    await carol.fill('input[name="url"]', `https://carol.example/post-${n}`);
    await carol.fill('input[name="title"]', `Carol's post ${n}`);
    await carol.fill('textarea[name="description"]', "Words, carefully chosen.");
    await Promise.all([
      carol.waitForURL(/\/things\/\d+\?done=registered$/),
      carol.click('button:text("Register")'),
    ]);
    expect(await text(carol, ".notice")).toContain("Your thing is registered");
    thingIds.push(/\/things\/(\d+)/.exec(carol.url())![1]!);
  }
  await carol.goto(`${origin}/things`);
  expect(await carol.locator("tr[data-thing-id]").count()).toBe(3);

  // Alice reads her transfer reference; the admin records her bank transfer with it, twice.
  const alice = await loggedIn("alice");
  await alice.goto(`${origin}/wallet`);
  expect(await text(alice, '[data-testid="balance"]')).toBe("€0.00");
  const reference = await text(alice, '[data-testid="transfer-reference"]');
  expect(reference).toMatch(/^FF-/);

  const admin = await loggedIn("admin");
  for (const attempt of [1, 2]) {
    await admin.goto(`${origin}/admin/deposits`);
    await admin.fill('input[name="who"]', reference);
    await admin.fill('input[name="amount"]', "10.00");
    await admin.fill('input[name="bankReference"]', "SEPA-2026-0001");
    await Promise.all([
      admin.waitForResponse((r) => r.request().method() === "POST"),
      admin.click('button:text("Record deposit")'),
    ]);
    await admin.waitForLoadState();
    expect(await text(admin, ".notice")).toContain(
      attempt === 1
        ? "Recorded €10.00 to @alice."
        : "Already recorded: €10.00 to @alice with bank reference SEPA-2026-0001. Nothing changed.",
    );
  }
  expect(await admin.locator('[data-testid="deposits"] tbody tr').count()).toBe(1);
  // Not for ordinary users.
  const forbidden = await alice.goto(`${origin}/admin/deposits`);
  expect(forbidden?.status()).toBe(403);

  await alice.goto(`${origin}/wallet`);
  expect(await text(alice, '[data-testid="balance"]')).toBe("€10.00");
  expect(await text(alice, '[data-testid="history"] tbody')).toContain("SEPA-2026-0001");

  // Budget: the fee is shown before saving; a budget within the balance gets no warning.
  await alice.goto(`${origin}/budget`);
  expect(await text(alice, '[data-testid="fee-note"]')).toContain("keeps 5% of what you give");
  await alice.fill('input[name="amount"]', "abc");
  await alice.click('button:text("Save budget")');
  expect(await text(alice, ".error")).toContain("is not an amount");
  await alice.fill('input[name="amount"]', "5.00");
  await Promise.all([
    alice.waitForURL(/\/budget\?saved$/),
    alice.click('button:text("Save budget")'),
  ]);
  expect(await text(alice, '[data-testid="budget"]')).toBe("€5.00");
  expect(await alice.locator('[data-testid="budget-warning"]').count()).toBe(0);

  // Alice flattrs Carol's three things from their pages.
  for (const id of thingIds) {
    await alice.goto(`${origin}/things/${id}`);
    await Promise.all([
      alice.waitForURL(`${origin}/things/${id}?done=flattred`),
      alice.click('button:text-is("Flattr")'),
    ]);
    expect(await text(alice, ".notice")).toContain("Flattred!");
    expect(await text(alice, '[data-testid="flattrs-this-month"]')).toMatch(/^1 flattr in /);
  }

  // This month: 5.00 − 0.25 fee = 4.75 over 3 = 1.59 + 1.58 + 1.58.
  await alice.goto(`${origin}/flattrs`);
  expect(await text(alice, '[data-testid="headline"]')).toBe(
    "€5.00 − €0.25 instance fee (5%) = €4.75 over 3 flattrs = about €1.58 each",
  );
  const projected = await alice.locator("tbody td.num .amount").allTextContents();
  expect(projected).toEqual(["€1.59", "€1.58", "€1.58"]);
  if (shots) await alice.screenshot({ path: `${shots}/flattrs.png`, fullPage: true });

  // The month ends and is closed.
  const P = periodOf(clock.now(), config.timeZone);
  const after = fixedClock(new Date(periodBounds(P, config.timeZone).end.getTime() + 3600_000));
  const result = await closePeriod(db, after, config, P);
  expect(result.total.amount).toBe(500n);
  expect(await checkLedger(db)).toEqual([]);

  await alice.goto(`${origin}/flattrs?period=${P}`);
  expect(await text(alice, '[data-testid="status"]')).toContain("final values");
  expect(await alice.locator("tbody td.num .amount").allTextContents()).toEqual([
    "€1.59",
    "€1.58",
    "€1.58",
  ]);
  await alice.goto(`${origin}/wallet`);
  expect(await text(alice, '[data-testid="balance"]')).toBe("€5.00");

  // Carol's earnings: the revenue per thing, the chart, the statement and its CSV.
  await carol.goto(`${origin}/earnings?period=${P}`);
  expect(await text(carol, '[data-testid="period-total"]')).toBe("€4.75 from 3 flattrs (final)");
  expect(await carol.locator("figure.chart svg rect.bar").count()).toBe(12);
  if (shots) await carol.screenshot({ path: `${shots}/earnings.png`, fullPage: true });
  const [download] = await Promise.all([
    carol.waitForEvent("download"),
    carol.click(`[data-period="${P}"] a:text("CSV")`),
  ]);
  expect(download.suggestedFilename()).toBe(`fediflattr-carol-${P}.csv`);
  const csv = (await readFile((await download.path())!, "utf8")).split("\r\n");
  expect(csv).toContain(
    `${P},creator,thing,,,${thingIds[0]},Carol's post 1,https://carol.example/post-1,1,1.59,EUR`,
  );
  expect(csv).toContain(
    `${P},creator,thing,,,${thingIds[1]},Carol's post 2,https://carol.example/post-2,1,1.58,EUR`,
  );
  expect(csv).toContain(`${P},creator,total,,,,,,3,4.75,EUR`);

  await carol.goto(`${origin}/statements/${P}`);
  expect(await carol.locator('[data-testid="earnings"] tfoot th').allTextContents()).toEqual([
    "Total",
    "3",
    "€4.75",
  ]);
});
