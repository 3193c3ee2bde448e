// PLEDGE_NOTICE: an unclaimed creator with money held hears of it once a month, in one direct
// mention from the instance actor (a plain Fedify server standing in for Mastodon receives it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { sendPledgeNotices } from "../../src/federation/pledge-notices.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { periodBounds, periodOf } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { cacheActor, expectLedgersSound, fundedUser, settled } from "./money-support.ts";
import { waitFor } from "./support.ts";

let a: TestInstance;
let m: PlainFedify;

beforeAll(async () => {
  [a, m] = await Promise.all([startTestInstance({ PLEDGE_NOTICE: "true" }), startPlainFedify()]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), m?.stop()]);
});

describe("pledge notices", () => {
  it("mentions an unclaimed creator with money held once a month, where to claim it", async () => {
    const bobUri = m.addUser("bob");
    const db = a.deps.database.db;
    const { config } = a.deps;
    const bob = await cacheActor(a, bobUri);
    const note = await remoteThingFor(db, a.deps.clock, bob, {
      kind: "note",
      objectUri: m.addNote("bob", "a post"),
      title: "a post",
    });
    const payer = await fundedUser(a, "payer", 1000n, 300n);
    await flattr(db, a.deps.clock, config, payer, note.id);
    const period = periodOf(a.deps.clock.now(), config.timeZone);
    const afterEnd = new Date(periodBounds(period, config.timeZone).end.getTime() + 86400_000);
    await closePeriod(db, fixedClock(afterEnd), config, period);

    expect(await sendPledgeNotices(a.federation, a.deps)).toBe(1);
    expect(await sendPledgeNotices(a.federation, a.deps)).toBe(0);
    // Off: nothing.
    const off = { ...a.deps, config: testConfig({ ORIGIN: a.origin }) };
    expect(await sendPledgeNotices(a.federation, off)).toBe(0);
    await settled(a);
    const received = await waitFor(
      async () => m.received.find((r) => r.type === "Create" && r.inbox === "bob") ?? null,
    );
    expect(received.actor).toBe(`${a.origin}/actor`);
    const content = String(received.json.object.content);
    expect(content).toContain("€3.00 is held for you");
    expect(content).toContain(`${a.origin}/settings/claims`);
    expect(m.received.filter((r) => r.type === "Create")).toHaveLength(1);
    await expectLedgersSound(a);
  });
});
