// The discovery page (src/web/pages/discover.tsx over flattr/discover.ts): this instance's things
// and creators, newest and most flattred this month, flattrs from peers counted, withdrawn ones
// not, and last month's flattrs not at all.
import { afterAll, beforeAll, expect, it } from "vitest";
import { updateProfile } from "../../src/accounts/users.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { receiveFlattr } from "../../src/flattr/incoming.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";
import { remoteActor } from "../helpers/remote.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const list = (html: string, testId: string) => {
  const m = new RegExp(`data-testid="${testId}">([\\s\\S]*?)</ul>`).exec(html);
  return m ? [...m[1]!.matchAll(/data-(?:thing-id|username)="([^"]+)"/g)].map((x) => x[1]) : [];
};

it("lists newest and most flattred things and creators of this month", async () => {
  const config = testConfig({ ORIGIN: "https://disc.example" });
  const clock = fixedClock("2026-11-20T12:00:00Z");
  const m = moneyApp(config, database, clock);
  const dora = await m.user("dora");
  const ed = await m.user("ed");
  const payers = [await m.user("p1"), await m.user("p2")];
  for (const p of payers) await setBudget(database.db, clock, config, p, 500n);
  const thing = async (owner: number, n: number) =>
    (
      await registerThing(database.db, clock, config, owner, {
        url: `https://site.example/${n}`,
        title: `Work ${n}`,
      })
    ).thing.id;
  const old = await thing(dora, 1);
  await flattr(database.db, clock, config, payers[0]!, old); // November: counts
  clock.set("2026-12-02T12:00:00Z");
  const a = await thing(dora, 2);
  clock.set("2026-12-03T12:00:00Z");
  const b = await thing(ed, 3);
  await flattr(database.db, clock, config, payers[0]!, b);
  await flattr(database.db, clock, config, payers[1]!, b);
  await flattr(database.db, clock, config, payers[0]!, a);
  await unflattr(database.db, clock, config, payers[0]!, a); // withdrawn: not counted
  const ann = await remoteActor(database.db, clock, "peer.example", "ann");
  const r = await receiveFlattr(database.db, clock, config, {
    activityId: "https://peer.example/flattrs/00000000000000000000000000000009",
    payer: { id: ann.id, uri: ann.uri, host: ann.host },
    thingId: old,
    period: "2026-12",
    currency: config.currency,
    payerInstance: "https://peer.example/actor",
    protocolVersion: "1",
  });
  expect(r.ok).toBe(true);

  const res = await m.visitor().get("/discover");
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(list(html, "newest-things").slice(0, 3)).toEqual([String(b), String(a), String(old)]);
  // December: b twice, old once from a peer; November's flattr of old and a's withdrawn one do not count.
  expect(list(html, "most-flattred-things")).toEqual([String(b), String(old)]);
  expect(list(html, "most-flattred-creators")).toEqual(["ed", "dora"]);
  expect(list(html, "newest-creators")).toContain("dora");
  expect(textOf(html)).toContain("Most flattred in December 2026");
  expect(textOf(html)).toMatch(/Work 3 by @ed · 2 flattrs this month/);
});

it("profiles show the person's things, their button and safe bio links; thing pages link their snippets", async () => {
  const config = testConfig({ ORIGIN: "https://prof.example" });
  const clock = fixedClock("2026-12-05T12:00:00Z");
  const m = moneyApp(config, database, clock);
  const fay = await m.user("fay");
  await updateProfile(database.db, fay, {
    displayName: "Fay",
    bio: "I write at https://fay.example/blog and \u202Egnp.exe",
  });
  const { thing } = await registerThing(database.db, clock, config, fay, {
    url: "https://fay.example/blog/1",
    title: "Fay's first",
  });
  const html = await (await m.visitor().get("/@fay")).text();
  expect(html).toContain(
    '<a href="https://fay.example/blog" rel="nofollow noopener noreferrer ugc">https://fay.example/blog</a>',
  );
  expect(html).toMatch(/<p class="bio" data-testid="bio"><bdi>/);
  expect(list(html, "profile-things-list")).toEqual([String(thing.id)]);
  expect(html).toContain('src="https://prof.example/button/users/fay"');
  expect(html).toMatch(
    /profile-button-link">&lt;a href=(&quot;|")https:\/\/prof\.example\/users\/fay\/flattr/,
  );

  const page = await (await m.visitor().get(`/things/${thing.id}`)).text();
  expect(page).toContain(`href="/things/${thing.id}/embed"`);
});
