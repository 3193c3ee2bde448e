// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
// What a payer sees of a closed period's shares: paid to a local creator, in transit to a peer's
// creator, held for an unclaimed one (with the day it returns), in the API and on the page.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";
import { markPeer, remoteActor, remoteNote } from "../helpers/remote.ts";
import { expectDocumented, makeApp, tokenFor } from "./support.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const config = testConfig({ ORIGIN: "https://flattr.example", FLATTR_RATE_LIMIT: "100/1" });

describe("the status of a closed period's flattrs", () => {
  it("is paid, in_transit or held (with its return day), and null while open", async () => {
    const db = database.db;
    const clock = fixedClock("2026-10-10T12:00:00Z");
    const P = "2026-10";
    const owner = await makeUser(db);
    const { thing: page } = await registerThing(db, clock, config, owner, {
      url: "https://status.example/page",
      title: "local page",
    });
    await markPeer(db, clock, config, "peer.example");
    await admitPeer(db, clock, config, "peer.example");
    const bob = await remoteActor(db, clock, "peer.example", "bob");
    const mia = await remoteActor(db, clock, "masto.example", "mia");
    const bobNote = await remoteNote(db, clock, bob);
    const miaNote = await remoteNote(db, clock, mia);
    const payer = await makeUser(db);
    await deposit(db, config, payer, 1000n);
    await setBudget(db, clock, config, payer, 300n);
    for (const t of [page, bobNote, miaNote]) await flattr(db, clock, config, payer, t.id);

    const { as } = makeApp(database, config, clock);
    const me = as(await tokenFor(db, clock, payer));
    const open = await expectDocumented(
      config,
      await me.get(`/me/flattrs?period=${P}`),
      "GET",
      "/me/flattrs",
    );
    expect(open.flattrs.map((f: any) => [f.status, f.returns_at])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);

    await closePeriod(db, fixedClock("2026-11-02T12:00:00Z"), config, P);
    const closed = await expectDocumented(
      config,
      await me.get(`/me/flattrs?period=${P}`),
      "GET",
      "/me/flattrs",
    );
    const byThing = new Map(closed.flattrs.map((f: any) => [f.thing.id, f]));
    expect(byThing.get(page.id)).toMatchObject({
      creator: { kind: "local" },
      status: "paid",
      returns_at: null,
    });
    expect(byThing.get(bobNote.id)).toMatchObject({
      creator: { kind: "peer", host: "peer.example" },
      status: "in_transit",
    });
    expect(byThing.get(miaNote.id)).toMatchObject({
      creator: { kind: "unclaimed" },
      status: "held",
      returns_at: "2027-05-01T00:00:00.000Z",
    });

    // A share the hold returned, as the return marks it.
    await db.execute(
      sql`update remote_shares set state = 'returned' where period = ${P} and remote_actor_id = ${mia.id}`,
    );
    const after = await expectDocumented(
      config,
      await me.get(`/me/flattrs?period=${P}`),
      "GET",
      "/me/flattrs",
    );
    expect(after.flattrs.find((f: any) => f.thing.id === miaNote.id).status).toBe("returned");
    await db.execute(
      sql`update remote_shares set state = 'open' where period = ${P} and remote_actor_id = ${mia.id}`,
    );

    // The page says it in words.
    const page_ = await moneyApp(config, database, clock).as(payer);
    const html = await (await page_.get(`/flattrs?period=${P}`)).text();
    expect(textOf(html)).toContain(
      "€1.00 held for @mia@masto.example until claimed; returns to you on 2027-05-01 if not",
    );
    expect(html).toContain('data-status="in_transit"');
    expect(await checkLedger(db)).toEqual([]);
  });
});
