// A claimed pledge paid across instances (issue 10 points 2, 3, 7): b holds a payer's share for
// bob (on a plain Fedify server standing in for Mastodon); alice claims bob on a, which announces
// it; b verifies the proof itself, and its next settlement round sends a a signed summary whose
// line names the claim; a fetches the lines with signed GETs, credits alice to the cent and
// answers Accept, and b settles the share. A redelivery changes nothing. Real instances over
// loopback, real signatures; ledger checks on both.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { queryRows } from "../../src/db/client.ts";
import { announceClaims } from "../../src/federation/claims.ts";
import { fedifyLookup } from "../../src/federation/lookup.ts";
import { ensurePeerKnown } from "../../src/federation/peer-info.ts";
import { settlementRound } from "../../src/federation/settlement/worker.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { balanceOf, clearingAccount, earningsAccount, PLEDGES } from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { periodBounds, periodOf } from "../../src/periods/period.ts";
import { startClaim, verifyClaim } from "../../src/settlement/claims/local.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { periodFlattrs } from "../../src/settlement/my-flattrs.ts";
import { findSent } from "../../src/settlement/summaries/sent.ts";
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

describe("a claimed pledge across instances", () => {
  it("claim verified, summary sent with the claim line, the claimant credited to the cent", async () => {
    const bobUri = m.addUser("bob");
    const dbA = a.deps.database.db;
    const dbB = b.deps.database.db;
    const { config } = b.deps;
    const A = hostOf(a.origin);
    const B = hostOf(b.origin);

    // On b, a payer flattrs bob's post; the close holds the share in pledges.
    const bobOnB = await cacheActor(b, bobUri);
    const note = await remoteThingFor(dbB, b.deps.clock, bobOnB, {
      kind: "note",
      objectUri: m.addNote("bob", "a post"),
      title: "a post",
    });
    const payer = await fundedUser(b, "payer", 1000n, 437n);
    await flattr(dbB, b.deps.clock, config, payer, note.id);
    const period = periodOf(b.deps.clock.now(), config.timeZone);
    const afterEnd = new Date(periodBounds(period, config.timeZone).end.getTime() + 86400_000);
    await closePeriod(dbB, fixedClock(afterEnd), config, period);
    const share = await balanceOf(dbB, PLEDGES, config.currency);
    expect(share).toBe(437n);

    // Peers both ways, admitted both ways. Nothing owed to a yet: no summary.
    expect((await ensurePeerKnown(a.deps, B)).speaksFlattr).toBe(true);
    expect((await ensurePeerKnown(b.deps, A)).speaksFlattr).toBe(true);
    expect((await admitPeer(dbA, a.deps.clock, a.deps.config, B)).ok).toBe(true);
    expect((await admitPeer(dbB, b.deps.clock, config, A)).ok).toBe(true);
    expect((await settlementRound(b.federation, b.deps)).built).toBe(0);

    // alice claims bob on a with a public post holding her code; a announces it to b.
    const lookupA = fedifyLookup(a.federation, a.deps);
    const alice = await insertUser(a, "alice");
    const started = await startClaim(a.deps, lookupA, alice, bobUri);
    if (!started.ok) throw started.error;
    const proof = m.addNote("bob", `<p>It is me: ${started.value.code}</p>`);
    const won = await verifyClaim(a.deps, lookupA, alice, started.value.id, proof);
    if (!won.ok) throw won.error;
    expect(won.value.state).toBe("won");
    expect(await announceClaims(a.federation, a.deps)).toBe(1);
    await settled(a, b);
    await waitFor(async () =>
      (await balanceOf(dbB, clearingAccount(A), config.currency)) === share ? true : null,
    );

    // b's round: the summary to a for the closed period carries the claim line; a decides it.
    expect(await settlementRound(b.federation, b.deps)).toMatchObject({ built: 1, delivered: 1 });
    const sent = (await findSent(dbB, A, period))!;
    expect(sent).toMatchObject({ total: share, lineCount: 1, flattrCount: 1 });
    const [line] = await queryRows<{ creator_uri: string; claim: string; amount: string }>(
      dbB,
      sql`select creator_uri, claim, amount::text from settlement_lines_out where summary_id = ${sent.id}`,
    );
    expect(line).toEqual({
      creator_uri: `${a.origin}/users/alice`,
      claim: `${a.origin}/claims/${started.value.id}/announcement#${B}`,
      amount: String(share),
    });
    expect(await settlementRound(a.federation, a.deps)).toMatchObject({
      decided: 1,
      answered: 1,
    });
    expect(await balanceOf(dbA, earningsAccount(alice), config.currency)).toBe(share);
    expect(await balanceOf(dbA, clearingAccount(B), config.currency)).toBe(-share);

    // b heard the Accept: the share is settled, still owed to a until transferred.
    expect((await findSent(dbB, A, period))?.state).toBe("accepted");
    const [state] = await queryRows<{ state: string }>(
      dbB,
      sql`select state from remote_shares where claim_id is not null`,
    );
    expect(state).toEqual({ state: "settled" });
    expect(await balanceOf(dbB, clearingAccount(A), config.currency)).toBe(share);
    expect((await periodFlattrs(dbB, config, payer, period)).flattrs[0]?.status).toBe("paid");
    await expectLedgersSound(a, b);

    // Delivered again: answered again, nothing moves, nothing new is built.
    await dbB.execute(
      sql`update settlement_summaries_out set state = 'sent', next_attempt_at = now() - interval '1 second'
          where id = ${sent.id}`,
    );
    expect(await settlementRound(b.federation, b.deps)).toMatchObject({ built: 0, delivered: 1 });
    expect((await settlementRound(a.federation, a.deps)).answered).toBe(1);
    expect((await findSent(dbB, A, period))?.state).toBe("accepted");
    expect(await balanceOf(dbA, earningsAccount(alice), config.currency)).toBe(share);
    await expectLedgersSound(a, b);
  });
});
