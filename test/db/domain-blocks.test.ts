import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/api/openapi.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { blockDomain } from "../../src/flattr/domain-blocks.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { isDomainBlocked, listBlockedDomains, unblockDomain } from "../../src/peers/blocks.ts";
import { withdrawnFlattrs } from "../../src/settlement/withdrawn-flattrs.ts";
import { upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { makeApp, schemaErrors, tokenFor } from "../api/support.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
const clock = fixedClock("2026-05-15T12:00:00Z");
// http: the page tests' session cookie has no __Host- prefix (src/web/session.ts).
const config = testConfig({ ORIGIN: "http://flattr.example.net" });
const own = config.origin;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

async function remoteThing(actorUri: string, kind: "note" | "profile" = "note"): Promise<number> {
  const db = database.db;
  const actor = await upsertRemoteActor(db, clock, {
    uri: actorUri,
    type: "Person",
    handle: null,
    name: "Someone",
    summaryHtml: "",
    url: null,
    iconUrl: null,
    inboxUrl: null,
    sharedInboxUrl: null,
    followersUrl: null,
    paymentUrl: null,
  });
  const objectUri = kind === "profile" ? actorUri : `${actorUri}/statuses/${Math.random()}`;
  const [row] = await queryRows<{ id: number }>(
    db,
    sql`insert into things (owner_kind, remote_owner_id, kind, url, url_normalized, object_uri,
                            title, created_at)
        values ('remote', ${actor.id.toString()}::int8, ${kind}, ${objectUri}, ${objectUri},
                ${objectUri}, ${`A ${kind} of ${actorUri}`}, now())
        returning id`,
  );
  return Number(row!.id);
}

async function reasons(payer: number, period = "2026-05") {
  const rows = await queryRows<{ thing_id: number; withdrawn_reason: string | null }>(
    database.db,
    sql`select thing_id, withdrawn_reason from flattrs
        where payer_id = ${payer} and period = ${period} order by id`,
  );
  return new Map(rows.map((r) => [Number(r.thing_id), r.withdrawn_reason]));
}

describe("blocking a domain", () => {
  it("withdraws the open period's flattrs of its creators' things, and only those", async () => {
    const db = database.db;
    const payer = await makeUser(db);
    const other = await makeUser(db);
    for (const u of [payer, other]) await setBudget(db, clock, config, u, 500n);

    const onHost = await remoteThing("https://bad.example/users/a");
    const onSubdomain = await remoteThing("https://a.bad.example:8443/users/b", "profile");
    const elsewhere = await remoteThing("https://notbad.example/users/c");
    const [local] = await queryRows<{ id: number }>(
      db,
      sql`insert into things (owner_id, kind, url, url_normalized, title, created_at)
          values (${other}, 'page', 'https://bad.example/local', 'https://bad.example/local',
                  'A local page about bad.example', now()) returning id`,
    );
    const localThing = Number(local!.id);
    for (const t of [onHost, onSubdomain, elsewhere, localThing]) {
      await flattr(db, clock, config, payer, t);
    }
    // The other payer withdrew their own flattr before: that one stays an unflattr.
    await flattr(db, clock, config, other, onHost);
    await unflattr(db, clock, config, other, onHost);
    // April is sealed by the close (being closed): its flattrs belong to the close now.
    await db.execute(
      sql`insert into flattrs (thing_id, payer_id, period, created_at)
          values (${onHost}, ${payer}, '2026-04', '2026-04-20T10:00:00Z')`,
    );
    await db.execute(
      sql`insert into closed_periods (period, started_at) values ('2026-04', '2026-05-01T01:00:00Z')`,
    );

    const result = await blockDomain(db, clock, own, " BAD.example ", "spam");
    expect(result).toEqual({
      ok: true,
      value: { host: "bad.example", created: true, withdrawn: 2 },
    });
    expect(await isDomainBlocked(db, "x.a.bad.example")).toBe(true);

    const mine = await reasons(payer);
    expect(mine.get(onHost)).toBe("domain_blocked");
    expect(mine.get(onSubdomain)).toBe("domain_blocked");
    expect(mine.get(elsewhere)).toBeNull();
    expect(mine.get(localThing)).toBeNull();
    expect((await reasons(other)).get(onHost)).toBe("unflattr"); // withdrawn by the payer, not the block
    expect([...(await reasons(payer, "2026-04")).values()]).toEqual([null]);

    // The payer sees which flattrs left the month's split, and why.
    const seen = await withdrawnFlattrs(db, payer, "2026-05");
    expect(seen.map((f) => [f.thingId, f.withdrawnReason]).sort()).toEqual(
      [
        [onHost, "domain_blocked"],
        [onSubdomain, "domain_blocked"],
      ].sort(),
    );
    expect(await withdrawnFlattrs(db, other, "2026-05")).toEqual([]);

    // Blocking again keeps one row, updates the reason and withdraws what was flattred since.
    await flattr(db, clock, config, other, onSubdomain);
    expect(await blockDomain(db, clock, own, "https://bad.example/@x", "still spam")).toEqual({
      ok: true,
      value: { host: "bad.example", created: false, withdrawn: 1 },
    });
    expect(await listBlockedDomains(db)).toEqual([
      { host: "bad.example", reason: "still spam", createdAt: clock.now() },
    ]);

    // Unblocking lifts the block; withdrawn flattrs stay withdrawn, and can be made again.
    expect(await unblockDomain(db, "bad.example")).toEqual({
      ok: true,
      value: { host: "bad.example", removed: true },
    });
    expect(await unblockDomain(db, "bad.example")).toMatchObject({ value: { removed: false } });
    expect(await isDomainBlocked(db, "bad.example")).toBe(false);
    expect((await reasons(payer)).get(onHost)).toBe("domain_blocked");
    await flattr(db, clock, config, payer, onHost);
    expect((await withdrawnFlattrs(db, payer, "2026-05")).map((f) => f.thingId)).toEqual([
      onSubdomain,
    ]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("refuses what is not a host, and this server itself", async () => {
    const db = database.db;
    for (const bad of ["", "not a host", "ftp://x.example", "a/b"]) {
      expect(await blockDomain(db, clock, own, bad)).toMatchObject({
        ok: false,
        error: { code: "invalid_host" },
      });
    }
    for (const self of ["flattr.example.net", "example.net", "FLATTR.example.net:443"]) {
      expect(await blockDomain(db, clock, own, self)).toMatchObject({
        ok: false,
        error: { code: "own_server" },
      });
    }
    expect(await unblockDomain(db, "::")).toMatchObject({
      ok: false,
      error: { code: "invalid_host" },
    });
    expect(await listBlockedDomains(db)).toEqual([]);
  });
});

describe("blocking from the admin page and the CLI; what the payer sees", () => {
  it("the admin page blocks and unblocks, for admins only, with the CSRF token", async () => {
    const db = database.db;
    const { user, as, visitor } = moneyApp(config, database, clock);
    const admin = await as(await user(undefined, { admin: true }));
    const someone = await as(await user());

    expect((await visitor().get("/admin/domains")).status).toBe(303); // to the login page
    expect((await someone.get("/admin/domains")).status).toBe(403);
    expect(
      (await someone.submit("/flattrs", "/admin/domains", { host: "page.example" })).status,
    ).toBe(403);
    // Without the form's token: refused before anything happens.
    expect((await admin.post("/admin/domains", { host: "page.example" })).status).toBe(403);
    expect(await isDomainBlocked(db, "page.example")).toBe(false);

    const blocked = await admin.submit("/admin/domains", "/admin/domains", {
      host: "https://Page.example/@someone",
      reason: "spam <b>waves</b>",
    });
    expect(blocked.status).toBe(200);
    const html = await blocked.text();
    expect(textOf(html)).toContain("Blocked page.example. 0 flattrs of the open month withdrawn.");
    expect(html).toContain('data-host="page.example"');
    expect(html).not.toContain("<b>waves</b>");
    expect(await isDomainBlocked(db, "a.page.example")).toBe(true);

    const refused = await admin.submit("/admin/domains", "/admin/domains", { host: "a/b c" });
    expect(refused.status).toBe(422);
    expect(textOf(await refused.text())).toContain("Not a host name");

    const lifted = await admin.submit("/admin/domains", "/admin/domains/unblock", {
      host: "page.example",
    });
    expect(textOf(await lifted.text())).toContain("Unblocked page.example.");
    expect(await isDomainBlocked(db, "page.example")).toBe(false);
    const again = await admin.submit("/admin/domains", "/admin/domains/unblock", {
      host: "page.example",
    });
    expect(again.status).toBe(404);
  });

  it("the CLI blocks, lists and unblocks with the same door", async () => {
    const cli = (...argv: string[]) => runCliWith(argv, { deps: { config, database, clock } });
    const payer = await makeUser(database.db);
    await setBudget(database.db, clock, config, payer, 500n);
    await flattr(database.db, clock, config, payer, await remoteThing("https://cli.example/u/a"));

    const blocked = await cli("domain", "block", "cli.example", "--reason", "testing");
    expect(blocked).toMatchObject({ code: 0, stderr: "" });
    expect(blocked.stdout.trim()).toBe(
      "Blocked: cli.example and its subdomains. 1 flattr of the open month withdrawn.",
    );
    const list = await cli("domain", "list");
    expect(list.stdout).toBe(`cli.example\t${clock.now().toISOString()}\ttesting\n`);
    expect((await cli("domain", "block", "flattr.example.net")).code).toBe(1);
    expect((await cli("domain", "block")).code).toBe(2);
    expect((await cli("domain", "block", "a", "b")).code).toBe(2);
    expect((await cli("domain", "unblock", "cli.example")).stdout.trim()).toBe(
      "Unblocked cli.example.",
    );
    const twice = await cli("domain", "unblock", "cli.example");
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("is not blocked");
    expect((await cli("domain", "list")).stderr).toContain("No server is blocked.");
  });

  it("the payer sees which flattrs a block withdrew, on /flattrs and in the API", async () => {
    const db = database.db;
    const { as } = moneyApp(config, database, clock);
    const payer = await makeUser(db);
    await setBudget(db, clock, config, payer, 500n);
    const thing = await remoteThing("https://seen.example/users/x");
    await flattr(db, clock, config, payer, thing);
    expect((await blockDomain(db, clock, own, "seen.example")).ok).toBe(true);

    const page = await (await as(payer)).get("/flattrs");
    const html = await page.text();
    expect(html).toContain(`data-thing-id="${thing}" data-reason="domain_blocked"`);
    expect(textOf(html)).toContain(
      "its creator's server was blocked by this instance's administrators",
    );

    const api = makeApp(database, config, clock).as(await tokenFor(db, clock, payer));
    const res = await api.get("/me/flattrs");
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.flattrs).toEqual([]);
    expect(body.withdrawn).toMatchObject([
      { thing: { id: thing }, withdrawn_reason: "domain_blocked" },
    ]);
    const doc = openApiDocument(config);
    expect(schemaErrors(doc, { $ref: "#/components/schemas/MyFlattrs" }, body)).toEqual([]);
    expect(await checkLedger(db)).toEqual([]);
  });
});
