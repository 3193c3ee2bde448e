import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import {
  blockDomain,
  isDomainBlocked,
  listBlockedDomains,
  unblockDomain,
} from "../../src/peers/blocks.ts";
import { withdrawnFlattrs } from "../../src/settlement/withdrawn-flattrs.ts";
import { upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

let database: Database;
const clock = fixedClock("2026-05-15T12:00:00Z");
const config = testConfig({ ORIGIN: "https://flattr.example.net" });
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
    expect(result).toEqual({ host: "bad.example", created: true, withdrawn: 2 });
    expect(await isDomainBlocked(db, "x.a.bad.example")).toBe(true);

    const mine = await reasons(payer);
    expect(mine.get(onHost)).toBe("domain_blocked");
    expect(mine.get(onSubdomain)).toBe("domain_blocked");
    expect(mine.get(elsewhere)).toBeNull();
    expect(mine.get(localThing)).toBeNull();
    expect((await reasons(other)).get(onHost)).toBeNull(); // withdrawn_at set by unflattr only
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
    expect(await blockDomain(db, clock, own, "https://bad.example/", "still spam")).toEqual({
      host: "bad.example",
      created: false,
      withdrawn: 1,
    });
    expect(await listBlockedDomains(db)).toEqual([
      { host: "bad.example", reason: "still spam", createdAt: clock.now() },
    ]);

    // Unblocking lifts the block; withdrawn flattrs stay withdrawn, and can be made again.
    expect(await unblockDomain(db, "bad.example")).toBe(true);
    expect(await unblockDomain(db, "bad.example")).toBe(false);
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
      await expect(blockDomain(db, clock, own, bad)).rejects.toMatchObject({
        code: "invalid_host",
      });
    }
    for (const self of ["flattr.example.net", "example.net", "FLATTR.example.net:443"]) {
      await expect(blockDomain(db, clock, own, self)).rejects.toMatchObject({
        code: "own_server",
      });
    }
    await expect(unblockDomain(db, "::")).rejects.toMatchObject({ code: "invalid_host" });
    expect(await listBlockedDomains(db)).toEqual([]);
  });
});
