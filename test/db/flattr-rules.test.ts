import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database, Db } from "../../src/db/client.ts";
import { getBudget, setBudget } from "../../src/flattr/budget.ts";
import { FlattrError, type FlattrErrorCode } from "../../src/flattr/errors.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { findThingByUrl, getThing, profileThing, registerThing } from "../../src/flattr/things.ts";
import { errorStatus } from "../../src/http/error-status.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  MIN_BUDGET: "2.00",
  MAX_BUDGET: "100.00",
  FLATTR_RATE_LIMIT: "5/60",
  MAX_FLATTRS_PER_PERIOD: "8",
});
const clock = fixedClock("2026-03-10T12:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

async function refused(p: Promise<unknown>, code: FlattrErrorCode): Promise<FlattrError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FlattrError);
  expect((e as FlattrError).code).toBe(code);
  expect((e as FlattrError).message.length).toBeGreaterThan(10);
  return e as FlattrError;
}

async function page(owner: number, n: number | string) {
  const { thing } = await registerThing(db, clock, config, owner, {
    url: `https://example.com/post/${n}`,
    title: `Post ${n}`,
  });
  return thing;
}

describe("budget", () => {
  it("accepts a budget within the limits and warns above the wallet balance", async () => {
    const u = await makeUser(db);
    const r = await setBudget(db, clock, config, u, 500n);
    expect(r.budget.amount).toBe(500n);
    expect(r.walletBalance).toBe(0n);
    expect(r.aboveBalance).toBe(true);
    await deposit(db, config, u, 1000n);
    const r2 = await setBudget(db, clock, config, u, 800n);
    expect(r2.walletBalance).toBe(1000n);
    expect(r2.aboveBalance).toBe(false);
    expect((await getBudget(db, config, u))?.amount).toBe(800n);
  });

  it("refuses budgets outside [MIN_BUDGET, MAX_BUDGET] with the limits in the message", async () => {
    const u = await makeUser(db);
    const low = await refused(setBudget(db, clock, config, u, 199n), "budget_too_low");
    expect(low.message).toContain("€2.00");
    const high = await refused(setBudget(db, clock, config, u, 10001n), "budget_too_high");
    expect(high.message).toContain("€100.00");
    await refused(setBudget(db, clock, config, u, -5n), "budget_too_low");
    expect(await getBudget(db, config, u)).toBeNull();
    await setBudget(db, clock, config, u, 200n);
    await setBudget(db, clock, config, u, 10000n);
    await refused(setBudget(db, clock, config, 987654321, 500n), "user_not_found");
  });
});

describe("things", () => {
  it("registers a page, normalises its URL and returns the same thing for the same URL", async () => {
    const u = await makeUser(db);
    const a = await registerThing(db, clock, config, u, {
      url: " HTTPS://Example.ORG:443/a?b=1#frag ",
      title: "  My   page ",
      description: "About it",
    });
    expect(a.created).toBe(true);
    expect(a.thing.title).toBe("My page");
    expect(a.thing.kind).toBe("page");
    const b = await registerThing(db, clock, config, u, {
      url: "https://example.org/a?b=1",
      title: "Other title",
    });
    expect(b.created).toBe(false);
    expect(b.thing.id).toBe(a.thing.id);
    expect(b.thing.title).toBe("My page");
    expect((await findThingByUrl(db, u, "https://EXAMPLE.org/a?b=1#x"))?.id).toBe(a.thing.id);
    // Another owner may register the same URL: URLs are claims per owner.
    const v = await makeUser(db);
    const c = await registerThing(db, clock, config, v, {
      url: "https://example.org/a?b=1",
      title: "Mine",
    });
    expect(c.created).toBe(true);
    expect(c.thing.id).not.toBe(a.thing.id);
  });

  it("refuses bad URLs, titles and descriptions", async () => {
    const u = await makeUser(db);
    const reg = (url: string, title = "t", description?: string) =>
      registerThing(db, clock, config, u, { url, title, description });
    await refused(reg(""), "invalid_url");
    await refused(reg("not a url"), "invalid_url");
    await refused(reg("javascript:alert(1)"), "invalid_url");
    await refused(reg("ftp://example.com/x"), "invalid_url");
    await refused(reg("https://user:pw@example.com/"), "invalid_url");
    await refused(reg(`https://example.com/${"a".repeat(2100)}`), "invalid_url");
    await refused(reg(new URL("/users/someone", config.origin).href), "invalid_url");
    await refused(reg("https://example.com/t", "   "), "invalid_title");
    await refused(reg("https://example.com/t", "x".repeat(201)), "invalid_title");
    await refused(reg("https://example.com/t", "a\u0000b"), "invalid_title");
    await refused(reg("https://example.com/t", "ok", "d".repeat(2001)), "invalid_description");
    await refused(
      registerThing(db, clock, config, 987654321, { url: "https://e.com/", title: "t" }),
      "user_not_found",
    );
  });

  it("makes a local user's profile a thing on demand, once", async () => {
    const u = await makeUser(db, "profiled_user");
    const [a, b] = await Promise.all([
      profileThing(db, clock, config, u),
      profileThing(db, clock, config, u),
    ]);
    expect(a.id).toBe(b.id);
    expect(a.kind).toBe("profile");
    expect(a.url).toBe(new URL("/users/profiled_user", config.origin).href);
    await refused(profileThing(db, clock, config, 987654321), "user_not_found");
  });

  it("shows owner and flattr counts this period and all time", async () => {
    const owner = await makeUser(db, "thing_owner");
    const thing = await page(owner, "counted");
    const payers = [await makeUser(db), await makeUser(db), await makeUser(db)];
    for (const p of payers) await setBudget(db, clock, config, p, 500n);
    const c = fixedClock("2026-01-15T12:00:00Z");
    await flattr(db, c, config, payers[0]!, thing.id);
    c.set("2026-02-15T12:00:00Z");
    await flattr(db, c, config, payers[0]!, thing.id);
    await flattr(db, c, config, payers[1]!, thing.id);
    await flattr(db, c, config, payers[2]!, thing.id);
    await unflattr(db, c, config, payers[2]!, thing.id);
    const view = await getThing(db, c, config, thing.id);
    expect(view.owner.username).toBe("thing_owner");
    expect(view.period).toBe("2026-02");
    expect(view.flattrsThisPeriod).toBe(2);
    expect(view.flattrsAllTime).toBe(3);
    await refused(getThing(db, c, config, 987654321), "thing_not_found");
    await refused(getThing(db, c, config, -1), "thing_not_found");
  });
});

describe("flattr rules", () => {
  it("flattrs once per thing per period, refuses a second attempt, allows it next month", async () => {
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    const thing = await page(owner, "once");
    await setBudget(db, clock, config, payer, 500n);
    const c = fixedClock("2026-04-30T21:59:59.999Z"); // 23:59:59.999 in Berlin (CEST)
    const f = await flattr(db, c, config, payer, thing.id);
    expect(f.period).toBe("2026-04");
    const e = await refused(flattr(db, c, config, payer, thing.id), "already_flattred");
    expect(e.message).toContain("2026-04");
    c.set("2026-04-30T22:00:00Z"); // 00:00 on 1 May in Berlin
    const g = await flattr(db, c, config, payer, thing.id);
    expect(g.period).toBe("2026-05");
  });

  it("never lets you flattr your own thing or profile", async () => {
    const owner = await makeUser(db);
    await setBudget(db, clock, config, owner, 500n);
    const thing = await page(owner, "own");
    await refused(flattr(db, clock, config, owner, thing.id), "own_thing");
    const profile = await profileThing(db, clock, config, owner);
    await refused(flattr(db, clock, config, owner, profile.id), "own_thing");
  });

  it("needs a budget and an existing thing", async () => {
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    const thing = await page(owner, "budgetless");
    await refused(flattr(db, clock, config, payer, thing.id), "no_budget");
    await setBudget(db, clock, config, payer, 500n);
    await refused(flattr(db, clock, config, payer, 987654321), "thing_not_found");
    await refused(unflattr(db, clock, config, payer, 987654321), "thing_not_found");
  });

  it("unflattrs while the period is open and allows flattring again", async () => {
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    const thing = await page(owner, "unflattr");
    await setBudget(db, clock, config, payer, 500n);
    const c = fixedClock("2026-03-10T12:00:00Z");
    await refused(unflattr(db, c, config, payer, thing.id), "not_flattred");
    const f1 = await flattr(db, c, config, payer, thing.id);
    const w = await unflattr(db, c, config, payer, thing.id);
    expect(w.id).toBe(f1.id);
    await refused(unflattr(db, c, config, payer, thing.id), "not_flattred");
    const f2 = await flattr(db, c, config, payer, thing.id);
    expect(f2.id).not.toBe(f1.id);
    // Next month the March flattr can no longer be withdrawn: unflattr is about the current period.
    c.set("2026-04-02T12:00:00Z");
    await refused(unflattr(db, c, config, payer, thing.id), "not_flattred");
  });

  it("rate limits flattrs per minute and caps them per period", async () => {
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    await setBudget(db, clock, config, payer, 500n);
    const things = [];
    for (let i = 0; i < 10; i++) things.push(await page(owner, `limit${i}`));
    const c = fixedClock("2026-06-10T12:00:00Z");
    for (let i = 0; i < 5; i++) await flattr(db, c, config, payer, things[i]!.id);
    const e = await refused(flattr(db, c, config, payer, things[5]!.id), "rate_limited");
    expect(errorStatus(e.code)).toBe(429);
    // Withdrawn flattrs still count against the rate: churn is not free.
    c.advance(61_000);
    await flattr(db, c, config, payer, things[5]!.id);
    await unflattr(db, c, config, payer, things[5]!.id);
    await flattr(db, c, config, payer, things[5]!.id);
    await unflattr(db, c, config, payer, things[5]!.id);
    await flattr(db, c, config, payer, things[5]!.id);
    await flattr(db, c, config, payer, things[6]!.id);
    await flattr(db, c, config, payer, things[7]!.id);
    await refused(flattr(db, c, config, payer, things[8]!.id), "rate_limited");
    c.advance(61_000);
    // 8 active flattrs in June now: the per-period cap.
    const cap = await refused(flattr(db, c, config, payer, things[8]!.id), "period_limit");
    expect(cap.message).toContain("8");
    await unflattr(db, c, config, payer, things[7]!.id);
    await flattr(db, c, config, payer, things[8]!.id);
  });

  it("refuses flattr and unflattr into a closed period with a clear reason", async () => {
    const owner = await makeUser(db);
    const payer = await makeUser(db);
    const thing = await page(owner, "closed");
    const other = await page(owner, "closed2");
    await setBudget(db, clock, config, payer, 500n);
    const c = fixedClock("2026-07-31T12:00:00Z");
    await flattr(db, c, config, payer, thing.id);
    // Close July (it has ended at this clock), then try to act in July with a lagging clock.
    await closePeriod(db, fixedClock("2026-08-01T12:00:00Z"), config, "2026-07");
    const e = await refused(flattr(db, c, config, payer, other.id), "period_closed");
    expect(e.message).toContain("2026-07");
    await refused(unflattr(db, c, config, payer, thing.id), "period_closed");
  });
});
