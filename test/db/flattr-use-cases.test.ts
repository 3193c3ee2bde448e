// The flattr use cases every surface calls (src/flattr/use-cases/): refusals come back as typed
// values with a code, nothing is written when they refuse, and a repeat is "done", not an error.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { findProfileThingId, registerThing } from "../../src/flattr/things.ts";
import {
  checkSubmission,
  ensureFlattred,
  flattrProfile,
  submitAndFlattr,
} from "../../src/flattr/use-cases/index.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
const config = testConfig({ ORIGIN: "https://flattr.example", TIME_ZONE: "UTC" });
const clock = fixedClock("2026-04-10T12:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  expect(await checkLedger(db)).toEqual([]); // the last test closes a month
  await database?.close();
});

let seq = 0;
async function user(options: { budget?: boolean } = {}) {
  const name = `uc${++seq}_${Math.random().toString(36).slice(2, 7)}`;
  const id = await makeUser(db, name);
  if (options.budget !== false) {
    await deposit(db, config, id, 1000n);
    await setBudget(db, clock, config, id, 500n);
  }
  return { id, name };
}

async function counts(): Promise<{ things: string; flattrs: string }> {
  const [r] = await queryRows<{ things: string; flattrs: string }>(
    db,
    sql`select (select count(*) from things)::text as things,
               (select count(*) from flattrs)::text as flattrs`,
  );
  return r!;
}

describe("ensureFlattred", () => {
  it("flattrs once; a repeat is done without a new flattr; refusals carry their code", async () => {
    const owner = await user();
    const payer = await user();
    const { thing } = await registerThing(db, clock, config, owner.id, {
      url: "https://site.example/ensure",
      title: "Ensure",
    });
    const first = await ensureFlattred(db, clock, config, payer.id, thing.id);
    expect(first).toMatchObject({ ok: true, value: { thingId: thing.id } });
    expect(first.ok && first.value.flattr?.payerId).toBe(payer.id);
    expect(await ensureFlattred(db, clock, config, payer.id, thing.id)).toEqual({
      ok: true,
      value: { thingId: thing.id, flattr: null },
    });
    const before = await counts();
    expect(await ensureFlattred(db, clock, config, owner.id, thing.id)).toMatchObject({
      ok: false,
      error: { code: "own_thing" },
    });
    const poor = await user({ budget: false });
    expect(await ensureFlattred(db, clock, config, poor.id, thing.id)).toMatchObject({
      ok: false,
      error: { code: "no_budget" },
    });
    expect(await ensureFlattred(db, clock, config, payer.id, 999_999)).toMatchObject({
      ok: false,
      error: { code: "thing_not_found" },
    });
    expect(await counts()).toEqual(before);
  });
});

describe("checkSubmission and submitAndFlattr", () => {
  it("checks every parameter of a link: invalid_link or user_not_found, nothing written", async () => {
    const owner = await user();
    const before = await counts();
    const cases: [Record<string, string>, string, string][] = [
      [{ url: "https://a.example/", title: "T" }, "invalid_link", "names no user"],
      [{ user: "nobody_x", url: "https://a.example/", title: "T" }, "user_not_found", "no user"],
      [{ user: owner.name, title: "T" }, "invalid_link", "A URL is required"],
      [{ user: owner.name, url: "https://a.example/\u0000x", title: "T" }, "invalid_link", "NUL"],
      [{ user: owner.name, url: "https://a.example/\nx", title: "T" }, "invalid_link", "control"],
      [{ user: owner.name, url: "https://a.\u0085example/", title: "T" }, "invalid_link", "U+0085"],
      [{ user: owner.name, url: "ftp://a.example/", title: "T" }, "invalid_link", "http"],
      [
        { user: owner.name, url: "https://flattr.example/@x", title: "T" },
        "invalid_link",
        "this instance",
      ],
      [{ user: owner.name, url: "https://a.example/" }, "invalid_link", "no title"],
      [
        { user: owner.name, url: "https://a.example/", title: "a\u0007b" },
        "invalid_link",
        "control",
      ],
      [
        { user: owner.name, url: "https://a.example/", title: "T", description: "d".repeat(2001) },
        "invalid_link",
        "description",
      ],
    ];
    for (const [link, code, message] of cases) {
      const r = await checkSubmission(db, config, link);
      expect(r, JSON.stringify(link)).toMatchObject({ ok: false, error: { code } });
      expect(!r.ok && r.error.message, JSON.stringify(link)).toContain(message);
    }
    expect(await counts()).toEqual(before);
  });

  it("registers and flattrs in one go; a repeat finds the thing; a refusal leaves nothing", async () => {
    const owner = await user();
    const payer = await user();
    const link = { user: owner.name, url: "https://blog.example/p?a=1#c", title: " A  post " };
    const s = await checkSubmission(db, config, link);
    if (!s.ok) throw s.error;
    expect(s.value).toMatchObject({ url: "https://blog.example/p?a=1#c", title: "A post" });
    const first = await submitAndFlattr(db, clock, config, payer.id, s.value);
    if (!first.ok) throw first.error;
    expect(first.value.flattr?.thingId).toBe(first.value.thingId);
    expect(await submitAndFlattr(db, clock, config, payer.id, s.value)).toEqual({
      ok: true,
      value: { thingId: first.value.thingId, flattr: null },
    });

    const before = await counts();
    expect(await submitAndFlattr(db, clock, config, owner.id, s.value)).toMatchObject({
      ok: false,
      error: { code: "own_thing" },
    });
    const poor = await user({ budget: false });
    const other = await checkSubmission(db, config, { ...link, url: "https://blog.example/q" });
    if (!other.ok) throw other.error;
    expect(await submitAndFlattr(db, clock, config, poor.id, other.value)).toMatchObject({
      ok: false,
      error: { code: "no_budget" },
    });
    expect(await counts()).toEqual(before); // the refused flattr registered no thing
  });
});

describe("flattrProfile", () => {
  it("creates the profile thing with its first flattr; repeats are done; refusals write nothing", async () => {
    const owner = await user();
    const payer = await user();
    expect(await findProfileThingId(db, owner.id)).toBeNull();
    const first = await flattrProfile(db, clock, config, payer.id, owner.name.toUpperCase());
    if (!first.ok) throw first.error;
    expect(await findProfileThingId(db, owner.id)).toBe(first.value.thingId);
    const [thing] = await queryRows<{ url: string; kind: string }>(
      db,
      sql`select url, kind from things where id = ${first.value.thingId}`,
    );
    expect(thing).toEqual({ url: `https://flattr.example/users/${owner.name}`, kind: "profile" });
    expect(await flattrProfile(db, clock, config, payer.id, owner.name)).toEqual({
      ok: true,
      value: { thingId: first.value.thingId, flattr: null },
    });

    const before = await counts();
    const self = await flattrProfile(db, clock, config, owner.id, owner.name);
    expect(self).toMatchObject({ ok: false, error: { code: "own_thing" } });
    expect(await flattrProfile(db, clock, config, payer.id, "nobody_zz")).toMatchObject({
      ok: false,
      error: { code: "user_not_found", message: "There is no user @nobody_zz here." },
    });
    const fresh = await user();
    const poor = await user({ budget: false });
    expect(await flattrProfile(db, clock, config, poor.id, fresh.name)).toMatchObject({
      ok: false,
      error: { code: "no_budget" },
    });
    expect(await counts()).toEqual(before);
    expect(await findProfileThingId(db, fresh.id)).toBeNull();
  });

  it("refuses a closed period with its code", async () => {
    const owner = await user();
    const payer = await user();
    const later = fixedClock("2026-05-20T12:00:00Z");
    await closePeriod(db, later, config, "2026-04");
    const r = await flattrProfile(db, clock, config, payer.id, owner.name);
    expect(r).toMatchObject({ ok: false, error: { code: "period_closed" } });
    expect(await findProfileThingId(db, owner.id)).toBeNull();
  });
});
