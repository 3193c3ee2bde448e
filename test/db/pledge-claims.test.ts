// Claims made here: the one-time code in a profile field or a public post, read through the
// lookup port; the first verified claim wins and takes the held shares into the claimant's
// earnings atomically; a rival is kept; the hold's end never returns claimed shares; the worker's
// sweep hands later months' shares to the winner.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import type { Deps } from "../../src/deps.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import {
  balanceOf,
  checkLedger,
  earningsAccount,
  PLEDGES,
  walletAccount,
} from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { applyWonClaims } from "../../src/settlement/claims/apply.ts";
import {
  myClaims,
  startClaim,
  verifiedClaims,
  verifyClaim,
} from "../../src/settlement/claims/local.ts";
import { claimantOfCode } from "../../src/settlement/claims/proof.ts";
import { takeClaimAnnouncements } from "../../src/settlement/claims/remote.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { periodFlattrs } from "../../src/settlement/my-flattrs.ts";
import { returnExpiredPledges } from "../../src/settlement/pledge-returns.ts";
import { findRemoteActorByUri } from "../../src/social/remote-actors.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { actorData, FakeLookup, noteData } from "../helpers/fake-lookup.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { markPeer, remoteNote } from "../helpers/remote.ts";

let database: Database;
let db: Db;
const config: Config = testConfig({
  ORIGIN: "https://flattr.example",
  FEE_BP: "1000",
  FLATTR_RATE_LIMIT: "100/1",
});
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

const BOB = "https://masto.example/users/bob";

describe("claims made here", () => {
  it("verifies the code, moves held shares to the winner once, keeps a rival", async () => {
    const clock = fixedClock("2026-10-05T12:00:00Z");
    const deps: Deps = { config, database, clock };
    const lookup = new FakeLookup(deps);
    lookup.addActor(actorData(BOB), "bob@masto.example");

    // Two payers flattr bob's post in October; the close holds the shares in pledges.
    const bobActor = await (async () => {
      const started = await startClaim(
        deps,
        lookup,
        await makeUser(db, "early"),
        "@bob@masto.example",
      );
      expect(started.ok).toBe(true);
      return (await findRemoteActorByUri(db, BOB))!;
    })();
    const note = await remoteNote(db, clock, bobActor);
    const payers = [await makeUser(db), await makeUser(db)];
    for (const u of payers) {
      await deposit(db, config, u, 1000n);
      await setBudget(db, clock, config, u, 200n);
      await flattr(db, clock, config, u, note.id);
    }
    await closePeriod(db, fixedClock("2026-11-01T02:00:00Z"), config, "2026-10");
    expect(await balanceOf(db, PLEDGES, config.currency)).toBe(360n);
    const before = await periodFlattrs(db, config, payers[0]!, "2026-10");
    expect(before.flattrs[0]?.status).toBe("held");

    const alice = await makeUser(db, "alice");
    const started = await startClaim(deps, lookup, alice, "bob@masto.example");
    if (!started.ok) throw started.error;
    const claim = started.value;
    expect(claim).toMatchObject({ state: "pending", account: { uri: BOB }, held: 360n });
    expect(claimantOfCode(claim.code)).toBe("alice@flattr.example");
    // Asking again gives the same claim and code.
    const again = await startClaim(deps, lookup, alice, BOB);
    expect(again.ok && again.value.code).toBe(claim.code);

    // No code yet: refused, nothing moved, the problem kept with the claim.
    const missing = await verifyClaim(deps, lookup, alice, claim.id, null);
    expect(missing.ok || missing.error.code).toBe("claim_code_missing");
    // A post of someone else with the code: not theirs.
    lookup.addObject(
      noteData("https://masto.example/users/eve/statuses/1", "https://masto.example/users/eve", {
        contentHtml: `<p>${claim.code}</p>`,
      }),
    );
    const notTheirs = await verifyClaim(
      deps,
      lookup,
      alice,
      claim.id,
      "https://masto.example/users/eve/statuses/1",
    );
    expect(notTheirs.ok || notTheirs.error.code).toBe("claim_proof_not_theirs");
    expect(await balanceOf(db, PLEDGES, config.currency)).toBe(360n);
    expect((await myClaims(deps, alice))[0]).toMatchObject({ state: "pending" });

    // The code in a profile field: alice wins.
    lookup.addActor(
      actorData(BOB, { fields: [{ name: "Fediflattr", value: `<span>${claim.code}</span>` }] }),
      "bob@masto.example",
    );
    const won = await verifyClaim(deps, lookup, alice, claim.id, "");
    if (!won.ok) throw won.error;
    expect(won.value).toMatchObject({ state: "won", claimed: 360n, held: 0n, proofUrl: BOB });
    expect(await balanceOf(db, PLEDGES, config.currency)).toBe(0n);
    expect(await balanceOf(db, earningsAccount(alice), config.currency)).toBe(360n);
    expect((await periodFlattrs(db, config, payers[0]!, "2026-10")).flattrs[0]?.status).toBe(
      "paid",
    );
    // Verifying again changes nothing.
    const twice = await verifyClaim(deps, lookup, alice, claim.id, null);
    expect(twice.ok && twice.value.claimed).toBe(360n);
    const linked = await queryRows<{ user_id: string }>(
      db,
      sql`select user_id::text from linked_actors where remote_actor_id = ${bobActor.id}::int8`,
    );
    expect(linked).toEqual([{ user_id: String(alice) }]);

    // A rival proves it later (in a post): kept, shown to the admin, takes nothing.
    const carol = await makeUser(db, "carol");
    const rival = await startClaim(deps, lookup, carol, "@bob@masto.example");
    if (!rival.ok) throw rival.error;
    lookup.addObject(
      noteData("https://masto.example/users/bob/statuses/9", BOB, {
        contentHtml: `<p>claiming: ${rival.value.code}</p>`,
      }),
    );
    const lost = await verifyClaim(
      deps,
      lookup,
      carol,
      rival.value.id,
      "https://masto.example/users/bob/statuses/9",
    );
    expect(lost.ok && lost.value.state).toBe("rival");
    expect((await verifiedClaims(deps)).map((c) => [c.claimant.handle, c.state])).toEqual([
      ["alice@flattr.example", "won"],
      ["carol@flattr.example", "rival"],
    ]);
    expect(await balanceOf(db, earningsAccount(carol), config.currency)).toBe(0n);

    // November's shares are held again by the close (the route stays unclaimed); the sweep
    // hands them to alice; the end of October's hold returns nothing claimed.
    const other = await makeUser(db);
    await deposit(db, config, other, 500n);
    await setBudget(db, fixedClock("2026-11-03T12:00:00Z"), config, other, 200n);
    await flattr(db, fixedClock("2026-11-03T12:00:00Z"), config, other, note.id);
    await closePeriod(db, fixedClock("2026-12-01T02:00:00Z"), config, "2026-11");
    expect(await balanceOf(db, PLEDGES, config.currency)).toBe(180n);
    expect(await applyWonClaims(db, config)).toEqual({ shares: 1, amount: 180n });
    expect(await applyWonClaims(db, config)).toEqual({ shares: 0, amount: 0n });
    expect(await balanceOf(db, earningsAccount(alice), config.currency)).toBe(540n);
    expect(await returnExpiredPledges(db, fixedClock("2027-09-01T00:00:00Z"), config)).toEqual({
      entries: 0,
      shares: 0,
      amount: 0n,
    });
    expect(await balanceOf(db, walletAccount(payers[0]!), config.currency)).toBe(800n);

    // The won claim is announced to each peer once, also to a peer met later; the rival never.
    const take = () => db.transaction((tx) => takeClaimAnnouncements(tx, clock.now()));
    expect(await take()).toEqual([]);
    await markPeer(db, clock, config, "p1.example");
    await admitPeer(db, clock, config, "p1.example");
    expect((await take()).map((x) => [x.id, x.host, x.username, x.proofUrl])).toEqual([
      [claim.id, "p1.example", "alice", BOB],
    ]);
    expect(await take()).toEqual([]);
    await markPeer(db, clock, config, "p2.example");
    expect(await take()).toEqual([]); // known, not admitted: not told
    await admitPeer(db, clock, config, "p2.example");
    expect((await take()).map((x) => x.host)).toEqual(["p2.example"]);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("refuses a claim of a local account and an unknown one", async () => {
    const clock = fixedClock("2026-10-05T12:00:00Z");
    const deps: Deps = { config, database, clock };
    const lookup = new FakeLookup(deps);
    const dan = await makeUser(db, "dan");
    const local = await startClaim(deps, lookup, dan, "@alice@flattr.example");
    expect(local.ok || local.error.code).toBe("claim_not_remote");
    const unknown = await startClaim(deps, lookup, dan, "@nobody@masto.example");
    expect(unknown.ok || unknown.error.code).toBe("not_found");
    expect(await myClaims(deps, dan)).toEqual([]);
  });

  it("a claim racing the end of the hold: each share is claimed or returned, never both", async () => {
    for (let round = 0; round < 3; round++) {
      const period = `2025-0${round + 1}`;
      const clock = fixedClock(`${period}-05T12:00:00Z`);
      const deps: Deps = { config, database, clock };
      const lookup = new FakeLookup(deps);
      const uri = `https://race.example/users/r${round}`;
      lookup.addActor(actorData(uri), `r${round}@race.example`);
      const claimant = await makeUser(db, `racer${round}`);
      const started = await startClaim(deps, lookup, claimant, uri);
      if (!started.ok) throw started.error;
      const actor = (await findRemoteActorByUri(db, uri))!;
      const note = await remoteNote(db, clock, actor);
      const payer = await makeUser(db);
      await deposit(db, config, payer, 1000n);
      await setBudget(db, clock, config, payer, 200n);
      await flattr(db, clock, config, payer, note.id);
      await closePeriod(db, fixedClock(`2025-0${round + 2}-01T02:00:00Z`), config, period);
      lookup.addActor(
        actorData(uri, { summaryHtml: started.value.code }),
        `r${round}@race.example`,
      );
      const wallet0 = await balanceOf(db, walletAccount(payer), config.currency);

      // The hold of the period ended long ago: the return and the claim go for the same share.
      const [verified, returned] = await Promise.all([
        verifyClaim(deps, lookup, claimant, started.value.id, null),
        returnExpiredPledges(db, fixedClock("2026-01-01T00:00:00Z"), config),
      ]);
      if (!verified.ok) throw verified.error;
      expect(verified.value.state).toBe("won");
      const earned = await balanceOf(db, earningsAccount(claimant), config.currency);
      const back = (await balanceOf(db, walletAccount(payer), config.currency)) - wallet0;
      // 200 − 10 % fee = 180, exactly once.
      expect(earned + back).toBe(180n);
      expect([earned, back]).toContainEqual(180n);
      expect(returned.amount + verified.value.claimed).toBeGreaterThanOrEqual(180n);
      const [state] = await queryRows<{ state: string }>(
        db,
        sql`select state from remote_shares where remote_actor_id = ${actor.id}::int8`,
      );
      expect(state!.state).toBe(earned === 180n ? "claimed" : "returned");
    }
    expect(await balanceOf(db, PLEDGES, config.currency)).toBe(0n);
    expect(await checkLedger(db)).toEqual([]);
  });
});
