// Deleting an account: refused while its wallet or earnings hold money; otherwise anonymised, its
// open flattrs (made and received) withdrawn, nothing deleted from the ledger, and money that
// arrives later shown to the administrators. Through the pages, on a real database.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  DEFAULT_PREFERENCES,
  readPreferences,
  updatePreferences,
} from "../../src/accounts/preferences.ts";
import { createUser } from "../../src/accounts/users.ts";
import { createApp } from "../../src/app.ts";
import { systemClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger, DEPOSITS, postEntry, walletAccount } from "../../src/ledger/index.ts";
import { deletedAccountsWithMoney } from "../../src/settlement/account-deletion.ts";
import { recordBankDeposit } from "../../src/settlement/deposits.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { WebClient } from "../helpers/web-client.ts";

let database: Database;
const config = testConfig({ TRUST_PROXY: "true" });
const clock = systemClock;
let ann: number;
let ben: number;
let annThing: number;
let benThing: number;

beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  const user = (username: string, isAdmin = false) =>
    createUser(db, clock, {
      username,
      email: `${username}@example.org`,
      password: "password123",
      isAdmin,
    });
  ann = (await user("ann")).id;
  ben = (await user("ben")).id;
  await user("boss", true);
  annThing = (
    await registerThing(db, clock, config, ann, { url: "https://ann.example/", title: "Ann's" })
  ).thing.id;
  benThing = (
    await registerThing(db, clock, config, ben, { url: "https://ben.example/", title: "Ben's" })
  ).thing.id;
  await setBudget(db, clock, config, ann, 500n);
  await setBudget(db, clock, config, ben, 500n);
  await flattr(db, clock, config, ann, benThing);
  await flattr(db, clock, config, ben, annThing);
});
afterAll(async () => {
  await database?.close();
});

let ip = 1;
async function loggedIn(username: string) {
  const app = createApp({ config, database, clock });
  const c = new WebClient(app.fetch, config.origin.origin, {
    "x-forwarded-for": `192.0.2.${ip++}`,
  });
  const res = await c.submit("/login", "/login", { username, password: "password123" });
  expect(res.status).toBe(303);
  return c;
}

const activeFlattrs = async () =>
  queryRows<{ payer_id: string; thing_id: string }>(
    database.db,
    sql`select payer_id::text, thing_id::text from flattrs where withdrawn_at is null order by id`,
  );

it("a wallet with money cannot be deleted; the page says so before anything is asked", async () => {
  const r = await recordBankDeposit(database.db, config, {
    payee: "ann",
    amount: 1000n,
    reference: "BANK-ANN-1",
  });
  expect(r.ok).toBe(true);
  const c = await loggedIn("ann");
  const page = await (await c.get("/settings/delete")).text();
  expect(page).toContain("€10.00");
  expect(page).toContain('data-testid="deletion-blocked"');
  expect(page).not.toContain('action="/settings/delete"');
  const forced = await c.submit("/settings/account", "/settings/delete", {
    password: "password123",
    confirm: "yes",
  });
  expect(forced.status).toBe(409);
  expect(await forced.text()).toContain("still holds money");
  expect(await activeFlattrs()).toHaveLength(2);
});

it("deletes an empty account: anonymised, logged out, flattrs of the open month withdrawn, ledger intact", async () => {
  const c = await loggedIn("ben");
  const other = await loggedIn("ben");
  const page = await (await c.get("/settings/delete")).text();
  expect(page).toContain("€0.00");
  expect(page).toContain("2 flattrs of this month");
  const noBox = await c.submit("/settings/delete", "/settings/delete", { password: "password123" });
  expect(noBox.status).toBe(422);
  const wrong = await c.submit("/settings/delete", "/settings/delete", {
    password: "nope-nope",
    confirm: "yes",
  });
  expect(wrong.status).toBe(422);
  const entriesBefore = await queryRows<{ n: string }>(
    database.db,
    sql`select count(*)::text as n from ledger_entries`,
  );
  await updatePreferences(database.db, ben, { language: "de", sensitive: true });

  const done = await c.submit("/settings/delete", "/settings/delete", {
    password: "password123",
    confirm: "yes",
  });
  expect(done.status).toBe(200);
  expect(await done.text()).toContain('data-testid="deleted"');
  expect(c.cookies.has("ff_session")).toBe(false);
  expect((await other.get("/settings/account")).status).toBe(303); // that session is gone too

  const [row] = await queryRows<{
    username: string;
    email: string;
    deleted_at: unknown;
    bio: string;
  }>(database.db, sql`select username, email, deleted_at, bio from users where id = ${ben}`);
  expect(row).toMatchObject({ username: "ben", email: `deleted-${ben}@deleted.invalid`, bio: "" });
  expect(row!.deleted_at).not.toBeNull();
  expect(await readPreferences(database.db, ben)).toEqual(DEFAULT_PREFERENCES);
  // Both flattrs touch ben (his, and ann's of his thing): withdrawn, and ann sees why.
  expect(await activeFlattrs()).toHaveLength(0);
  const annPage = await (await (await loggedIn("ann")).get("/flattrs")).text();
  expect(annPage).toContain("its creator deleted their account");

  // Gone for logins, profiles, new flattrs and deposits; the username stays taken.
  const app = createApp({ config, database, clock });
  const anon = new WebClient(app.fetch, config.origin.origin, { "x-forwarded-for": "192.0.2.200" });
  expect(
    (await anon.submit("/login", "/login", { username: "ben", password: "password123" })).status,
  ).toBe(401);
  expect((await anon.get("/@ben")).status).toBe(404);
  await expect(flattr(database.db, clock, config, ann, benThing)).rejects.toMatchObject({
    code: "thing_not_found",
  });
  const late = await recordBankDeposit(database.db, config, {
    payee: "ben",
    amount: 100n,
    reference: "LATE-1",
  });
  expect(late.ok).toBe(false);
  await expect(
    createUser(database.db, clock, {
      username: "BEN",
      email: "new@example.org",
      password: "password123",
    }),
  ).rejects.toMatchObject({ code: "taken" });
  // …but the e-mail address is free again.
  await createUser(database.db, clock, {
    username: "ben2",
    email: "ben@example.org",
    password: "password123",
  });

  const entriesAfter = await queryRows<{ n: string }>(
    database.db,
    sql`select count(*)::text as n from ledger_entries`,
  );
  expect(entriesAfter).toEqual(entriesBefore);
  expect(await checkLedger(database.db)).toEqual([]);
});

it("money that arrives after the deletion is shown to the administrators, never lost", async () => {
  expect(await deletedAccountsWithMoney(database.db, config)).toEqual([]);
  // E.g. a refund of a payout that bounced: posted to the deleted account's wallet.
  await postEntry(database.db, {
    idempotencyKey: "refund:test:ben",
    kind: "deposit",
    postings: [
      { account: DEPOSITS, currency: config.currency, amount: -250n },
      { account: walletAccount(ben), currency: config.currency, amount: 250n },
    ],
  });
  const listed = await deletedAccountsWithMoney(database.db, config);
  expect(listed).toMatchObject([{ userId: ben, username: "ben", wallet: 250n, earnings: 0n }]);
  const admin = await loggedIn("boss");
  const page = await (await admin.get("/admin/users")).text();
  expect(page).toContain('data-user="ben"');
  expect(page).toContain("€2.50");
  expect(await checkLedger(database.db)).toEqual([]);
});
