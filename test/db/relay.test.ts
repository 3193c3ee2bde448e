// The relay turns typed outbox events into exactly one queued delivery each, in a flattr's order,
// in one transaction with their deletion; an event that cannot be sent is not lost silently.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import type { Deps } from "../../src/deps.ts";
import { relayBatch, relayPending } from "../../src/federation/relay.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { remoteActor, remoteNote } from "../helpers/remote.ts";

// biome-ignore lint/suspicious/noExplicitAny: queued Fedify messages.
type Json = any;

let database: Database;
let db: Db;
let deps: Deps;
const config: Config = testConfig({ ORIGIN: "https://pay.example" });
const clock = fixedClock("2027-05-10T12:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  deps = { config, database, clock };
});
afterAll(async () => {
  await database?.close();
});

/** The outbox deliveries Fedify queued (no worker runs here, so they stay). */
async function queued(): Promise<Json[]> {
  const rows = await queryRows<{ message: string }>(
    db,
    sql`select message from fedify_queue where channel = 'outbox' order by id`,
  );
  return rows.map((r) => JSON.parse(r.message));
}

const events = async () =>
  (await queryRows<{ n: string }>(db, sql`select count(*)::text as n from outbox_events`))[0]!.n;

describe("the relay", () => {
  it("queues one Like per flattr and one Undo after it, and deletes the events", async () => {
    const { federation } = createApp(deps);
    const alice = await makeUser(db, "alice");
    await deposit(db, config, alice, 1000n);
    await setBudget(db, clock, config, alice, 500n);
    const bob = await remoteActor(db, clock, "b.example", "bob");
    const note = await remoteNote(db, clock, bob);
    const f = await flattr(db, clock, config, alice, note.id);
    await unflattr(db, clock, config, alice, note.id);
    expect(await events()).toBe("2");

    expect(await relayPending(federation, deps)).toBe(2);
    expect(await events()).toBe("0");
    const messages = await queued();
    expect(messages.map((m) => m.activity.type)).toEqual(["Like", "Undo"]);
    const [like, undo] = messages.map((m) => m.activity);
    const [row] = await queryRows<{ like_id: string }>(
      db,
      sql`select like_id from flattrs where id = ${f.id}::int8`,
    );
    expect(like).toMatchObject({
      id: `https://pay.example/flattrs/${row!.like_id}`,
      actor: "https://pay.example/users/alice",
      object: note.objectUri,
      to: bob.uri,
      flattrPeriod: "2027-05",
      flattrPayerInstance: "https://pay.example/actor",
      flattrCurrency: config.currency,
    });
    expect(undo.object.id).toBe(like.id);
    expect(messages.map((m) => m.inbox)).toEqual([bob.inboxUrl, bob.inboxUrl]);
    // Nothing left: a second run sends nothing again.
    expect(await relayPending(federation, deps)).toBe(0);
    expect(await queued()).toHaveLength(2);
  });

  it("drops an event whose author has no inbox, with a warning, and sends nothing", async () => {
    const { federation } = createApp(deps);
    const carol = await makeUser(db, "carol");
    await deposit(db, config, carol, 1000n);
    await setBudget(db, clock, config, carol, 500n);
    const mute = await remoteActor(db, clock, "mute.example", "mute");
    await db.execute(sql`update remote_actors set inbox_url = null where id = ${mute.id}::int8`);
    const note = await remoteNote(db, clock, mute);
    await flattr(db, clock, config, carol, note.id);
    const before = (await queued()).length;
    expect(await relayBatch(federation, deps)).toBe(1);
    expect(await events()).toBe("0");
    expect((await queued()).length).toBe(before);
  });

  it("keeps an event whose activity cannot be built, with its error and a later retry", async () => {
    const { federation } = createApp(deps);
    const dave = await makeUser(db, "dave");
    await deposit(db, config, dave, 1000n);
    await setBudget(db, clock, config, dave, 500n);
    const odd = await remoteActor(db, clock, "odd.example", "odd");
    const note = await remoteNote(db, clock, odd);
    await flattr(db, clock, config, dave, note.id);
    // An object id that is no URL: building the Like throws.
    await db.execute(sql`update things set object_uri = 'not a url' where id = ${note.id}`);
    const before = (await queued()).length;
    expect(await relayPending(federation, deps)).toBe(0);
    const [kept] = await queryRows<{ attempts: number; last_error: string; later: boolean }>(
      db,
      sql`select attempts, last_error, available_at > now() as later from outbox_events`,
    );
    expect(kept).toMatchObject({ attempts: 1, later: true });
    expect(kept!.last_error).toBeTruthy();
    expect((await queued()).length).toBe(before);
  });
});
