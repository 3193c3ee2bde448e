// A claim verified on one Fediflattr instance, announced by its instance actor to a peer that
// holds pledges for the claimed account (on a plain Fedify server standing in for Mastodon): the
// peer reads the proof itself, moves the held shares to clearing:<claiming instance> for its
// next summary, keeps a later rival claim, ignores a repeated announcement and refuses one whose
// proof does not hold. Real instances over loopback, real signatures.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { queryRows } from "../../src/db/client.ts";
import { announceClaims } from "../../src/federation/claims.ts";
import { fedifyLookup } from "../../src/federation/lookup.ts";
import { ensurePeerKnown } from "../../src/federation/peer-info.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { balanceOf, clearingAccount, PLEDGES } from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { periodBounds, periodOf } from "../../src/periods/period.ts";
import { startClaim, verifiedClaims, verifyClaim } from "../../src/settlement/claims/local.ts";
import { claimedPledgeShares, receiveClaim } from "../../src/settlement/claims/remote.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { periodFlattrs } from "../../src/settlement/my-flattrs.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { cacheActor, expectLedgersSound, fundedUser, settled } from "./money-support.ts";
import { insertUser, waitFor } from "./support.ts";

let a: TestInstance; // alice claims here
let b: TestInstance; // the pledges are held here
let m: PlainFedify; // bob's server, speaks no Fediflattr
const hostOf = (origin: string) => new URL(origin).host;

beforeAll(async () => {
  [a, b, m] = await Promise.all([startTestInstance(), startTestInstance(), startPlainFedify()]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), m?.stop()]);
});

describe("claims across instances", () => {
  it("the peer verifies the announced claim itself and routes the held shares to the claimant's server", async () => {
    const bobUri = m.addUser("bob");
    const dbB = b.deps.database.db;
    const { config } = b.deps;
    // On b, a payer flattrs bob's post; the close holds the share in pledges.
    const bobOnB = await cacheActor(b, bobUri);
    const note = await remoteThingFor(dbB, b.deps.clock, bobOnB, {
      kind: "note",
      objectUri: m.addNote("bob", "a post"),
      title: "a post",
    });
    const payer = await fundedUser(b, "payer", 1000n, 400n);
    await flattr(dbB, b.deps.clock, config, payer, note.id);
    const period = periodOf(b.deps.clock.now(), config.timeZone);
    const afterEnd = new Date(periodBounds(period, config.timeZone).end.getTime() + 86400_000);
    await closePeriod(dbB, fixedClock(afterEnd), config, period);
    expect(await balanceOf(dbB, PLEDGES, config.currency)).toBe(400n);

    // They know each other as peers.
    expect((await ensurePeerKnown(a.deps, hostOf(b.origin))).speaksFlattr).toBe(true);
    expect((await ensurePeerKnown(b.deps, hostOf(a.origin))).speaksFlattr).toBe(true);
    expect(
      (await admitPeer(a.deps.database.db, a.deps.clock, a.deps.config, hostOf(b.origin))).ok,
    ).toBe(true);
    expect((await admitPeer(dbB, b.deps.clock, config, hostOf(a.origin))).ok).toBe(true);

    // On a, alice claims bob with a public post holding her code.
    const lookupA = fedifyLookup(a.federation, a.deps);
    const alice = await insertUser(a, "alice");
    const started = await startClaim(a.deps, lookupA, alice, bobUri);
    if (!started.ok) throw started.error;
    const proof = m.addNote("bob", `<p>It is me: ${started.value.code}</p>`);
    const won = await verifyClaim(a.deps, lookupA, alice, started.value.id, proof);
    if (!won.ok) throw won.error;
    expect(won.value.state).toBe("won");
    expect(await announceClaims(a.federation, a.deps)).toBe(1);
    expect(await announceClaims(a.federation, a.deps)).toBe(0);
    await settled(a, b);

    // b verified it itself (fetched the proof) and moved the share to clearing:<a>.
    const onB = await waitFor(async () => {
      const rows = await queryRows<{ state: string; claiming_host: string; proof_url: string }>(
        dbB,
        sql`select state, claiming_host, proof_url from pledge_claims`,
      );
      return rows.length > 0 ? rows : null;
    });
    expect(onB).toEqual([{ state: "won", claiming_host: hostOf(a.origin), proof_url: proof }]);
    expect(m.requests).toContain(`GET ${new URL(proof).pathname}`);
    expect(await balanceOf(dbB, PLEDGES, config.currency)).toBe(0n);
    expect(await balanceOf(dbB, clearingAccount(hostOf(a.origin)), config.currency)).toBe(400n);
    const lines = await claimedPledgeShares(dbB, hostOf(a.origin));
    expect(lines).toMatchObject([
      { period, payerId: payer, creatorUri: bobUri, amount: 400n, flattrs: 1 },
    ]);
    expect(lines[0]!.claimantUri).toBe(`${a.origin}/users/alice`);
    expect(await claimedPledgeShares(dbB, hostOf(a.origin), "2000-01")).toEqual([]);
    expect((await periodFlattrs(dbB, config, payer, period)).flattrs[0]?.status).toBe("in_transit");

    // A repeated announcement changes nothing.
    const lookupB = fedifyLookup(b.federation, b.deps);
    const [announced] = await queryRows<{ announcement_id: string; code: string }>(
      dbB,
      sql`select announcement_id, code from pledge_claims`,
    );
    const again = await receiveClaim(b.deps, lookupB, {
      id: announced!.announcement_id,
      claimingHost: hostOf(a.origin),
      accountUri: bobUri,
      claimantUri: `${a.origin}/users/alice`,
      code: announced!.code,
      proofUrl: proof,
    });
    expect(again.outcome).toBe("duplicate");
    // One whose proof does not hold (the code is not in the post) is refused and takes nothing.
    const forged = await receiveClaim(b.deps, lookupB, {
      id: `${a.origin}/claims/999/announcement`,
      claimingHost: hostOf(a.origin),
      accountUri: bobUri,
      claimantUri: `${a.origin}/users/mallory`,
      code: `fediflattr-claim:mallory@${hostOf(a.origin)}:abcdefghijkm`,
      proofUrl: proof,
    });
    expect(forged).toMatchObject({ outcome: "refused" });
    // A code naming an account of another server than the announcing one: refused unread.
    const elsewhere = await receiveClaim(b.deps, lookupB, {
      id: `${a.origin}/claims/998/announcement`,
      claimingHost: hostOf(a.origin),
      accountUri: bobUri,
      claimantUri: `${a.origin}/users/alice`,
      code: `fediflattr-claim:eve@evil.example:abcdefghijkm`,
      proofUrl: proof,
    });
    expect(elsewhere).toMatchObject({ outcome: "refused" });

    // A rival claim made on b later: kept, shown to b's admin, takes nothing.
    const carol = await insertUser(b, "carol");
    const rival = await startClaim(b.deps, lookupB, carol, bobUri);
    if (!rival.ok) throw rival.error;
    const rivalProof = m.addNote("bob", `mine too ${rival.value.code}`);
    const lost = await verifyClaim(b.deps, lookupB, carol, rival.value.id, rivalProof);
    expect(lost.ok && lost.value.state).toBe("rival");
    expect((await verifiedClaims(b.deps)).map((c) => [c.claimant.handle, c.state])).toEqual([
      [`alice@${hostOf(a.origin)}`, "won"],
      [`carol@${hostOf(b.origin)}`, "rival"],
    ]);
    await expectLedgersSound(a, b);
  });
});
