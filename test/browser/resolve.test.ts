import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser } from "../../src/accounts/users.ts";
import { queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { insertUser } from "../federation/support.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { deposit } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";

/*
 * Finding and flattring a remote thing in a browser: paste a post's address or a handle into the
 * header's search box, land on the thing page (owner, where the money goes, the flattr button),
 * flattr it from there or through the confirmation page. One Fediflattr peer and one plain Fedify
 * server (a Mastodon stand-in, so its creators are unclaimed).
 */

let ours: TestInstance;
let peer: TestInstance;
let plain: PlainFedify;
let browser: Browser;
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  [ours, peer, plain, browser] = await Promise.all([
    startTestInstance(),
    startTestInstance(),
    startPlainFedify(),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([ours?.stop(), peer?.stop(), plain?.stop()]);
});

const text = async (page: Page, selector: string) =>
  ((await page.textContent(selector)) ?? "").replace(/\s+/g, " ").trim();

async function search(page: Page, q: string): Promise<void> {
  await page.fill('form.header-search input[name="q"]', q);
  await Promise.all([page.waitForLoadState("load"), page.click("form.header-search button")]);
}

async function flattrRows(payer: number): Promise<{ thing_id: string; title: string }[]> {
  return queryRows(
    ours.deps.database.db,
    sql`select f.thing_id::text, t.title from flattrs f join things t on t.id = f.thing_id
        where f.payer_id = ${payer} and f.withdrawn_at is null order by f.id`,
  );
}

it("search a post's address and a handle, land on the thing page, flattr them", async () => {
  const { db } = ours.deps.database;
  const { clock, config } = ours.deps;
  const paul = await createUser(db, clock, {
    username: "paul",
    email: "paul@example.org",
    password: "password123",
  });
  await setBudget(db, clock, config, paul.id, 500n);
  await deposit(db, config, paul.id, 2000n);
  plain.addUser("alice", { name: "Alice Writer" });
  const note = plain.addNote(
    "alice",
    "<p>Seven small things I learned about <b>federated</b> micropayments this year.</p>",
  );
  await insertUser(peer, "bob");
  const bobHandle = `@bob@${new URL(peer.origin).host}`;

  for (const width of [1280, 390]) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${ours.origin}/login`);
    await page.fill('input[name="username"]', "paul");
    await page.fill('input[name="password"]', "password123");
    await Promise.all([page.waitForURL(`${ours.origin}/`), page.click('button:text("Log in")')]);

    // A post on a Mastodon-like server: its creator is unclaimed.
    await search(page, note);
    expect(page.url()).toMatch(/\/things\/\d+$/);
    expect(await text(page, "h1")).toBe(
      "Seven small things I learned about federated micropayments this year.",
    );
    expect(await text(page, '[data-testid="owner"]')).toBe(`Alice Writer (@alice@${plain.host})`);
    expect(await page.getAttribute('[data-testid="owner-link"]', "href")).toBe(
      `${plain.origin}/@alice`,
    );
    expect(await page.getAttribute('[data-testid="payee"]', "data-payee")).toBe("unclaimed");
    expect(await text(page, '[data-testid="payee"]')).toContain(
      "held for them until they claim it",
    );
    if (shots)
      await page.screenshot({ path: `${shots}/resolve-note-${width}.png`, fullPage: true });

    if (width === 1280) {
      // Flattr from the thing page itself.
      await Promise.all([
        page.waitForURL(/\?done=flattred$/),
        page.click('form[action$="/flattr"] button'),
      ]);
      expect(await text(page, ".notice")).toContain("Flattred!");
    }

    // A Fediflattr user by handle: paid through their server.
    await search(page, bobHandle);
    expect(page.url()).toMatch(/\/things\/\d+$/);
    expect(await text(page, '[data-testid="owner"]')).toBe(`bob Example (${bobHandle})`);
    expect(await page.getAttribute('[data-testid="payee"]', "data-payee")).toBe("peer");
    expect(await text(page, '[data-testid="payee"]')).toContain(
      `Paid through ${new URL(peer.origin).host}`,
    );
    if (width === 390) {
      // The confirmation every button leads to says the same before any money is promised.
      await page.goto(`${page.url()}/flattr`);
      expect(await text(page, '[data-testid="payee"]')).toContain(
        `Paid through ${new URL(peer.origin).host}`,
      );
      if (shots)
        await page.screenshot({ path: `${shots}/resolve-confirm-${width}.png`, fullPage: true });
      await Promise.all([
        page.waitForURL(/\/flattr$/),
        page.click('[data-testid="confirm-flattr"]'),
      ]);
      expect(await text(page, '[data-testid="flattred"]')).toContain("You flattred");
    } else if (shots) {
      await page.screenshot({ path: `${shots}/resolve-profile-${width}.png`, fullPage: true });
    }

    // Junk and unknown handles answer on the search page, with its status.
    const junk = await page.goto(`${ours.origin}/search?q=${encodeURIComponent("not a handle")}`);
    expect(junk?.status()).toBe(422);
    expect(await text(page, '[role="alert"]')).toContain("neither a fediverse handle");
    const unknown = await page.goto(
      `${ours.origin}/search?q=${encodeURIComponent(`@nobody@${plain.host}`)}`,
    );
    expect(unknown?.status()).toBe(404);
    if (shots && width === 390)
      await page.screenshot({ path: `${shots}/resolve-error-${width}.png`, fullPage: true });
    await context.close();
  }

  expect((await flattrRows(paul.id)).map((r) => r.title)).toEqual([
    "Seven small things I learned about federated micropayments this year.",
    "bob Example",
  ]);
  expect(await checkLedger(db)).toEqual([]);
});
