// Against a plain Fedify server standing in for Mastodon: its Likes are favourites (counted,
// never money), also one that carries our extension (it is no peer); our flattr of its post is a
// Like it receives in the shape Mastodon favourites, and the close holds the share in pledges.
import { Like, Undo } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { queryRows } from "../../src/db/client.ts";
import { ensurePeerKnown } from "../../src/federation/peer-info.ts";
import { buildFlattrLike } from "../../src/federation/vocab/flattr-like.ts";
import { currentPeriod } from "../../src/flattr/current-period.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { balanceOf, PLEDGES } from "../../src/ledger/index.ts";
import { periodBounds } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { queueRows } from "../helpers/queue.ts";
import {
  cacheActor,
  expectLedgersSound,
  favouriteRows,
  fundedUser,
  incomingFlattrs,
} from "./money-support.ts";
import { waitFor } from "./support.ts";

let one: TestInstance;
let plain: PlainFedify;
let aliceId: number;
let alice: string;
let mia: string;

beforeAll(async () => {
  [one, plain] = await Promise.all([startTestInstance(), startPlainFedify()]);
  aliceId = await fundedUser(one, "Alice");
  alice = `${one.origin}/users/Alice`;
  mia = plain.addUser("mia", { name: "Mia" });
});
afterAll(async () => {
  await Promise.all([one?.stop(), plain?.stop()]);
});

const toAlice = () => ({ id: new URL(alice), inboxId: new URL(`${alice}/inbox`) });
const drained = () => waitFor(async () => (await queueRows(one.deps.database.db, "inbox")) === 0);

describe("a Mastodon-like server", () => {
  it("its Like is a favourite, and its Undo withdraws it", async () => {
    const id = `${mia}#likes/1`;
    await plain.send(
      "mia",
      toAlice(),
      new Like({ id: new URL(id), actor: new URL(mia), object: new URL(alice) }),
    );
    const [fav] = await waitFor(async () => {
      const rows = await favouriteRows(one);
      return rows.length > 0 ? rows : null;
    });
    expect(fav).toMatchObject({ activity_id: id, actor: mia, withdrawn: false });
    await plain.send(
      "mia",
      toAlice(),
      new Undo({
        id: new URL(`${mia}#likes/1/undo`),
        actor: new URL(mia),
        object: new Like({ id: new URL(id), actor: new URL(mia), object: new URL(alice) }),
      }),
    );
    await waitFor(async () => (await favouriteRows(one))[0]?.withdrawn);
  });

  it("a Like with our extension from a server that is no peer is a favourite, not money", async () => {
    const id = `${mia}#likes/2`;
    const like = buildFlattrLike({
      id: new URL(id),
      actor: new URL(mia),
      object: new URL(alice),
      to: new URL(alice),
      published: new Date(),
      period: currentPeriod(one.deps.clock, one.deps.config),
      payerInstance: new URL(`${plain.origin}/actor`),
      currency: "EUR",
    });
    await plain.send("mia", toAlice(), like);
    await waitFor(async () => (await favouriteRows(one)).some((f) => f.activity_id === id));
    await drained();
    expect(await incomingFlattrs(one)).toEqual([]);
  });

  it("our flattr of its post reaches it as a Like of the status, and the close pledges the share", async () => {
    const { config, clock } = one.deps;
    const db = one.deps.database.db;
    const noteUri = plain.addNote("mia", "Hello from elsewhere");
    const author = await cacheActor(one, mia);
    expect((await ensurePeerKnown(one.deps, plain.host)).speaksFlattr).toBe(false);
    const note = await remoteThingFor(db, clock, author, {
      kind: "note",
      objectUri: noteUri,
      title: "Hello",
    });
    const f = await flattr(db, clock, config, aliceId, note.id);
    const received = await waitFor(async () => plain.received.find((a) => a.type === "Like"));
    // What Mastodon's like.rb reads: object = the status on its server, actor = the signer.
    expect(received.json.object).toBe(noteUri);
    expect(received.json.actor).toBe(alice);
    expect(received.inbox).toBe("mia");
    expect(received.id).toMatch(new RegExp(`^${one.origin}/flattrs/[0-9a-f]{32}$`));

    const afterEnd = new Date(periodBounds(f.period, config.timeZone).end.getTime() + 86400_000);
    const before = await balanceOf(db, PLEDGES, config.currency);
    await closePeriod(db, fixedClock(afterEnd), config, f.period);
    expect((await balanceOf(db, PLEDGES, config.currency)) - before).toBe(500n);
    const [share] = await queryRows<{ route: string; amount: string; flattrs: number }>(
      db,
      sql`select route, amount::text, flattrs from remote_shares where remote_actor_id = ${author.id}::int8`,
    );
    expect(share).toEqual({ route: "unclaimed", amount: "500", flattrs: 1 });
    await expectLedgersSound(one);
  });
});
