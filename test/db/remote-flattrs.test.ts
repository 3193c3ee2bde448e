// Flattring remote things: the same rules as local ones, a typed outbox event in the flattr's own
// statement (also in batches), the self-flattr rule through linked accounts, and the link that
// withdraws the linker's open-period flattrs.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { linkRemoteActor } from "../../src/flattr/linked-actors.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { remoteActor, remoteNote } from "../helpers/remote.ts";

let database: Database;
let db: Db;
const config: Config = testConfig({ FLATTR_RATE_LIMIT: "1000/1", MAX_FLATTRS_PER_PERIOD: "1000" });
const clock = fixedClock("2027-03-10T12:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

async function payer(): Promise<number> {
  const u = await makeUser(db);
  await deposit(db, config, u, 1000n);
  await setBudget(db, clock, config, u, 500n);
  return u;
}

async function events(flattrIds: number[]) {
  if (flattrIds.length === 0) return [];
  return queryRows<{ kind: string; flattr_id: string }>(
    db,
    sql`select kind, flattr_id::text from outbox_events
        where flattr_id in (${sql.join(
          flattrIds.map((id) => sql`${id}::int8`),
          sql`, `,
        )}) order by id`,
  );
}

describe("flattring a remote thing", () => {
  it("writes a like event with the flattr and an undo event with the unflattr", async () => {
    const alice = await payer();
    const bob = await remoteActor(db, clock, "b.example", "bob");
    const note = await remoteNote(db, clock, bob);
    const f = await flattr(db, clock, config, alice, note.id);
    expect(await events([f.id])).toEqual([{ kind: "like", flattr_id: String(f.id) }]);
    await expect(flattr(db, clock, config, alice, note.id)).rejects.toMatchObject({
      code: "already_flattred",
    });
    await unflattr(db, clock, config, alice, note.id);
    expect((await events([f.id])).map((e) => e.kind)).toEqual(["like", "undo"]);
    const [row] = await queryRows<{ reason: string }>(
      db,
      sql`select withdrawn_reason as reason from flattrs where id = ${f.id}::int8`,
    );
    expect(row?.reason).toBe("unflattr");
  });

  it("writes no event for a local thing, and one per flattr in a batch", async () => {
    const alice = await payer();
    const owner = await makeUser(db);
    const { thing } = await registerThing(db, clock, config, owner, {
      url: `https://local.example/${owner}`,
      title: "local",
    });
    const local = await flattr(db, clock, config, alice, thing.id);
    expect(await events([local.id])).toEqual([]);

    const carol = await remoteActor(db, clock, "c.example", `carol${alice}`);
    const notes = await Promise.all([1, 2, 3, 4, 5, 6].map(() => remoteNote(db, clock, carol)));
    const payers = await Promise.all(notes.map(() => payer()));
    // Concurrent flattrs on the database are group-committed (ADR 0005): several per statement.
    const made = await Promise.all(
      notes.map((n, i) => flattr(db, clock, config, payers[i]!, n.id)),
    );
    const got = await events(made.map((f) => f.id));
    expect(got.map((e) => Number(e.flattr_id)).sort()).toEqual(made.map((f) => f.id).sort());
    expect(got.every((e) => e.kind === "like")).toBe(true);
  });

  it("refuses a refused flattr without an event (no budget)", async () => {
    const broke = await makeUser(db);
    const dave = await remoteActor(db, clock, "d.example", "dave");
    const note = await remoteNote(db, clock, dave);
    await expect(flattr(db, clock, config, broke, note.id)).rejects.toMatchObject({
      code: "no_budget",
    });
    const [n] = await queryRows<{ n: string }>(
      db,
      sql`select count(*)::text as n from flattrs where thing_id = ${note.id}::int8`,
    );
    expect(n?.n).toBe("0");
  });
});

describe("linked remote accounts", () => {
  it("refuses a flattr of one's own linked account, and linking withdraws open flattrs", async () => {
    const eve = await payer();
    const other = await payer();
    const mirror = await remoteActor(db, clock, "m.example", `eve${eve}`);
    const [post, profile] = [
      await remoteNote(db, clock, mirror),
      await remoteNote(db, clock, mirror, { kind: "profile", objectUri: mirror.uri }),
    ];
    // February: flattred and closed (paid); March (open): flattred, then the link.
    const feb = fixedClock("2027-02-10T12:00:00Z");
    const paid = await flattr(db, feb, config, eve, post.id);
    await closePeriod(db, clock, config, "2027-02");
    const open1 = await flattr(db, clock, config, eve, post.id);
    const open2 = await flattr(db, clock, config, eve, profile.id);
    const others = await flattr(db, clock, config, other, post.id);

    const result = await linkRemoteActor(db, clock, config, eve, mirror.id);
    expect(result.linked).toBe(true);
    expect(result.withdrawn.sort()).toEqual([open1.id, open2.id].sort());
    const rows = await queryRows<{ id: string; withdrawn: boolean; reason: string | null }>(
      db,
      sql`select f.id::text, f.withdrawn_at is not null as withdrawn, f.withdrawn_reason as reason
          from flattrs f where f.id in (${paid.id}::int8, ${open1.id}::int8, ${open2.id}::int8,
                                        ${others.id}::int8) order by f.id`,
    );
    expect(rows).toEqual([
      { id: String(paid.id), withdrawn: false, reason: null },
      { id: String(open1.id), withdrawn: true, reason: "own_thing" },
      { id: String(open2.id), withdrawn: true, reason: "own_thing" },
      { id: String(others.id), withdrawn: false, reason: null },
    ]);
    // Each withdrawn flattr's Like is undone by the relay.
    expect((await events([open1.id])).map((e) => e.kind)).toEqual(["like", "undo"]);
    expect((await events([paid.id])).map((e) => e.kind)).toEqual(["like"]);

    await expect(flattr(db, clock, config, eve, post.id)).rejects.toMatchObject({
      code: "own_thing",
    });
    // Linking again is a no-op; another user cannot take the account.
    expect(await linkRemoteActor(db, clock, config, eve, mirror.id)).toEqual({
      linked: false,
      withdrawn: [],
    });
    await expect(linkRemoteActor(db, clock, config, other, mirror.id)).rejects.toMatchObject({
      code: "actor_linked_elsewhere",
    });
    await expect(linkRemoteActor(db, clock, config, eve, 12345n)).rejects.toMatchObject({
      code: "actor_not_found",
    });
    expect(await checkLedger(db)).toEqual([]);
  });

  it("never leaves an own flattr active when flattrs race the link (PostgreSQL: for real)", async () => {
    for (let round = 0; round < 5; round++) {
      const fay = await payer();
      const alt = await remoteActor(db, clock, "race.example", `fay${fay}`);
      const notes = await Promise.all(
        [1, 2, 3, 4, 5, 6, 7, 8].map(() => remoteNote(db, clock, alt)),
      );
      const half = notes.length / 2;
      // Some flattrs before the link, the rest racing it.
      for (const n of notes.slice(0, half)) await flattr(db, clock, config, fay, n.id);
      const racing = notes.slice(half).map((n) =>
        flattr(db, clock, config, fay, n.id).then(
          () => "ok",
          (e: { code?: string }) => e.code ?? String(e),
        ),
      );
      const [outcomes] = await Promise.all([
        Promise.all(racing),
        linkRemoteActor(db, clock, config, fay, alt.id),
      ]);
      for (const o of outcomes) expect(["ok", "own_thing"]).toContain(o);
      const [active] = await queryRows<{ n: string }>(
        db,
        sql`select count(*)::text as n from flattrs f join things t on t.id = f.thing_id
            where f.payer_id = ${fay}::int8 and t.remote_owner_id = ${alt.id}::int8
              and f.withdrawn_at is null`,
      );
      expect(active?.n, `round ${round}`).toBe("0");
    }
  });
});
