// The set-based batch (flattr_batch, docs/adr/0035): a batch whose payers each appear once in one
// period is decided in a few statements for the whole batch; any other batch runs flattr_thing
// per call. Both must give every call the outcome, and the database the rows, that flattr_request
// per call gives (test/helpers/flattr-per-call.ts, the statement flattr_batch replaced), and the
// set-based path must keep the close-vs-flattr protocol (ADR 0002).
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import {
  createToken,
  hashAccessToken,
  revokeToken,
  TOKEN_PREFIX,
  tokenCredential,
} from "../../src/accounts/tokens.ts";
import { type Clock, fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, openPostgres, queryRows } from "../../src/db/client.ts";
import { flattrCall, type PayerToken } from "../../src/flattr/flattr.ts";
import {
  type FlattrCall,
  flattrBatchPaths,
  flattrMany,
  type OutcomeRow,
} from "../../src/flattr/flattr-batch.ts";
import { periodLock } from "../../src/flattr/period-lock.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { makeUser, makeUsers } from "../helpers/flattr.ts";
import { flattrManyPerCall } from "../helpers/flattr-per-call.ts";

let database: Database;
let db: Db;
// Small limits, so that a batch meets them.
const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  CURRENCY: "EUR",
  FLATTR_RATE_LIMIT: "3/60",
  MAX_FLATTRS_PER_PERIOD: "5",
});

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

let seq = 0;
/** A live page of `owner`, inserted directly (the rules of things are not under test here). */
async function page(owner: number): Promise<number> {
  const url = `https://set.example/${process.pid}/${++seq}`;
  const [r] = await queryRows<{ id: string }>(
    db,
    sql`insert into things (owner_kind, owner_id, kind, url, url_normalized, title, created_at)
        values ('local', ${owner}::int8, 'page', ${url}, ${url}, 'Page', now()) returning id::text`,
  );
  return Number(r!.id);
}

/** A remote account and a note of it; `linkedTo`: the local user who proved it theirs. */
async function remoteNote(linkedTo?: number): Promise<{ thing: number; actor: number }> {
  const actor = 9_000_000 + ++seq * 7 + (process.pid % 7);
  const uri = `https://remote.example/users/a${actor}`;
  await db.execute(
    sql`insert into remote_actors (id, uri, host, type, fetched_at)
        values (${actor}::int8, ${uri}, 'remote.example', 'Person', now())`,
  );
  const note = `${uri}/statuses/${seq}`;
  const [r] = await queryRows<{ id: string }>(
    db,
    sql`insert into things (owner_kind, remote_owner_id, kind, url, url_normalized, object_uri,
                            title, created_at)
        values ('remote', ${actor}::int8, 'note', ${note}, ${note}, ${note}, 'Note', now())
        returning id::text`,
  );
  if (linkedTo !== undefined)
    await db.execute(
      sql`insert into linked_actors (remote_actor_id, user_id, linked_at)
          values (${actor}::int8, ${linkedTo}::int8, now())`,
    );
  return { thing: Number(r!.id), actor };
}

async function budget(user: number, currency = "EUR"): Promise<void> {
  await db.execute(
    sql`insert into budgets (user_id, amount, currency, updated_at)
        values (${user}::int8, 500, ${currency}, now())`,
  );
}

/** Flattr rows written directly (history for the limits), `at` their time. */
async function history(payer: number, things: number[], at: Date, period: string) {
  for (const t of things)
    await db.execute(
      sql`insert into flattrs (thing_id, payer_id, period, created_at)
          values (${t}::int8, ${payer}::int8, ${period}, ${at.toISOString()}::timestamptz)`,
    );
}

/** Everything the batch may have written for these payers, ids left out. */
async function writtenBy(d: Db, payers: number[]): Promise<string[]> {
  const list = sql.raw(`ARRAY[${payers.join(",") || "0"}]::int8[]`);
  const rows = await queryRows<{ k: string }>(
    d,
    sql`select f.payer_id::text || ':' || f.thing_id::text || ':' || f.period || ':' ||
               to_char(f.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') || ':' ||
               coalesce(f.app_id::text, '-') || ':' || (f.withdrawn_at is null)::text || ':' ||
               (select count(*) from outbox_events e where e.flattr_id = f.id and e.kind = 'like')
               as k
        from flattrs f where f.payer_id = any(${list})`,
  );
  return rows.map((r) => r.k).sort();
}

/** An outcome and its payer; on ok also the row as the caller sees it (id left out). */
const answer = (r: OutcomeRow | Error) =>
  r instanceof Error
    ? `error: ${r.message.slice(0, 80)}`
    : [
        r.outcome,
        r.payer ?? null,
        r.thing_id,
        r.payer_id,
        r.period,
        r.created_at && new Date(r.created_at).toISOString(),
      ].join("|");

/** The paths taken by flattrMany while `fn` runs. */
async function paths<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; setBased: number; perCall: number }> {
  const before = { ...flattrBatchPaths };
  const value = await fn();
  return {
    value,
    setBased: flattrBatchPaths.setBased - before.setBased,
    perCall: flattrBatchPaths.perCall - before.perCall,
  };
}

const callFor = (
  clock: Clock,
  who: number | PayerToken,
  thing: number,
  o: Partial<FlattrCall> = {},
) => ({
  ...flattrCall(clock, config, who, thing),
  ...o,
});

describe("the set-based path", () => {
  it("gives every refusal of one batch its own outcome, and writes only the ok rows and their events", async () => {
    const clock = fixedClock("2026-03-10T12:00:00Z");
    const now = clock.now();
    const creator = await makeUser(db);
    const [pOk, pRemote, pNone, pOwn, pLinked, pNoBudget, pUsd, pAgain, pRate, pPeriod] =
      await makeUsers(db, 10, "setpay");
    for (const p of [pOk, pRemote, pNone, pOwn, pLinked, pAgain, pRate, pPeriod]) await budget(p!);
    await budget(pUsd!, "USD");
    const [tOk, tAgain] = [await page(creator), await page(creator)];
    const tOwn = await page(pOwn!);
    const remote = await remoteNote();
    const linked = await remoteNote(pLinked);
    const gone = await makeUser(db);
    const tGone = await page(gone);
    await db.execute(sql`update users set deleted_at = now() where id = ${gone}::int8`);
    await history(pAgain!, [tAgain], now, "2026-03");
    // Three flattrs in the last minute: the rate limit (3/60) is reached.
    await history(
      pRate!,
      [await page(creator), await page(creator), await page(creator)],
      new Date(now.getTime() - 10_000),
      "2026-03",
    );
    // Five earlier in the month: the period limit (5) is reached, the rate limit is not.
    const early = new Date("2026-03-02T12:00:00Z");
    const five = [];
    for (let i = 0; i < 5; i++) five.push(await page(creator));
    await history(pPeriod!, five, early, "2026-03");
    // Tokens: unknown, read-only, app-only (no user), and a good one.
    const [pRo, pTok] = await makeUsers(db, 2, "settok");
    await budget(pRo!);
    await budget(pTok!);
    const ro = await createToken(db, clock, pRo!, { name: "ro", scopes: ["read"] });
    const rw = await createToken(db, clock, pTok!, { name: "rw" });
    const { app } = await registerApp(db, clock, {
      name: "Set",
      redirectUris: "urn:ietf:wg:oauth:2.0:oob",
      scopes: "read write",
    });
    // An app-only token may hold reading scopes only (access_tokens_app_only_reads), so
    // user_required cannot be reached through the database; the scope check refuses it first.
    const appOnly = await issueOAuthToken(db, clock, app, null, ["read"]);
    const cred = (token: string) => tokenCredential(token, now)!;
    const stampBefore = new Date(now.getTime() - 60_000);
    const calls = [
      callFor(clock, pOk!, tOk),
      callFor(clock, pRemote!, remote.thing),
      callFor(clock, pNone!, 987654321),
      callFor(clock, pOwn!, tOwn),
      callFor(clock, pLinked!, linked.thing),
      callFor(clock, pNoBudget!, tOk),
      callFor(clock, pUsd!, tOk),
      callFor(clock, pAgain!, tAgain),
      callFor(clock, pRate!, tOk),
      callFor(clock, pPeriod!, tOk),
      callFor(clock, creator, tGone),
      callFor(clock, cred(`${TOKEN_PREFIX}${"C".repeat(43)}`), tOk),
      callFor(clock, cred(ro.token), tOk),
      callFor(clock, { tokenHash: hashAccessToken(appOnly.token), stampBefore }, tOk),
      callFor(clock, cred(rw.token), tOk),
    ];
    const payers = [
      pOk,
      pRemote,
      pNone,
      pOwn,
      pLinked,
      pNoBudget,
      pUsd,
      pAgain,
      pRate,
      pPeriod,
      creator,
      pRo,
      pTok,
    ].map(Number);
    const before = await writtenBy(db, payers);
    const run = await paths(() => flattrMany(db, calls));
    expect(run).toMatchObject({ setBased: 1, perCall: 0 });
    expect(run.value.map((r) => (r instanceof Error ? r.message : r.outcome))).toEqual([
      "ok",
      "ok",
      "thing_not_found",
      "own_thing",
      "own_thing",
      "no_budget",
      "no_budget",
      "already_flattred",
      "rate_limited",
      "period_limit",
      "thing_not_found",
      "invalid_token",
      "insufficient_scope",
      "insufficient_scope",
      "ok",
    ]);
    const ok = run.value as OutcomeRow[];
    expect(ok.map((r) => r.payer ?? null)).toEqual([
      ...payers.slice(0, 11).map(String),
      null,
      String(pRo),
      null,
      String(pTok),
    ]);
    expect(ok[1]).toMatchObject({
      payer_id: String(pRemote),
      thing_id: String(remote.thing),
      period: "2026-03",
    });
    expect(new Date(ok[0]!.created_at!).toISOString()).toBe(now.toISOString());
    const after = await writtenBy(db, payers);
    const at = "2026-03-10T12:00:00.000";
    expect(after.filter((k) => !before.includes(k))).toEqual(
      [
        `${pOk}:${tOk}:2026-03:${at}:-:true:0`,
        `${pRemote}:${remote.thing}:2026-03:${at}:-:true:1`,
        `${pTok}:${tOk}:2026-03:${at}:-:true:0`,
      ].sort(),
    );
  });

  for (const [sealed, outcome] of [
    [false, "period_being_closed"],
    [true, "period_closed"],
  ] as const)
    it(`refuses with ${outcome} after the thing and own-thing checks`, async () => {
      const clock = fixedClock(sealed ? "2026-06-10T12:00:00Z" : "2026-07-10T12:00:00Z");
      const period = sealed ? "2026-06" : "2026-07";
      await db.execute(
        sql`insert into closed_periods (period, started_at, closed_at)
            values (${period}, now(), ${sealed ? sql`now()` : sql`null`})`,
      );
      const creator = await makeUser(db);
      const [a, b, c, d] = await makeUsers(db, 4, "setseal");
      for (const p of [a, b, c, d]) await budget(p!);
      const t = await page(creator);
      const own = await page(c!);
      const linked = await remoteNote(d);
      const run = await paths(() =>
        flattrMany(db, [
          callFor(clock, a!, t),
          callFor(clock, b!, 987654321),
          callFor(clock, c!, own),
          callFor(clock, d!, linked.thing),
        ]),
      );
      expect(run).toMatchObject({ setBased: 1, perCall: 0 });
      expect(run.value.map((r) => (r instanceof Error ? r.message : r.outcome))).toEqual([
        outcome,
        "thing_not_found",
        "own_thing",
        "own_thing",
      ]);
      expect(await writtenBy(db, [a!, b!, c!, d!])).toEqual([]);
    });
});

describe("the per-call path", () => {
  it("runs a batch with a payer twice per call, limits and one-per-thing counted across its calls", async () => {
    const clock = fixedClock("2026-03-11T12:00:00Z");
    const creator = await makeUser(db);
    const [p, q] = await makeUsers(db, 2, "settwice");
    await budget(p!);
    await budget(q!);
    const ts = [await page(creator), await page(creator), await page(creator), await page(creator)];
    const calls = [
      callFor(clock, p!, ts[0]!),
      callFor(clock, q!, ts[0]!),
      callFor(clock, p!, ts[0]!),
      callFor(clock, p!, ts[1]!),
      callFor(clock, p!, ts[2]!),
      callFor(clock, p!, ts[3]!),
    ];
    const run = await paths(() => flattrMany(db, calls));
    expect(run).toMatchObject({ setBased: 0, perCall: 1 });
    expect(run.value.map((r) => (r instanceof Error ? r.message : r.outcome))).toEqual([
      "ok",
      "ok",
      "already_flattred",
      "ok",
      "ok",
      "rate_limited",
    ]);
    expect((await writtenBy(db, [p!])).length).toBe(3);
  });

  it("runs tokens of one user per call, after that user's calls by id", async () => {
    const clock = fixedClock("2026-03-12T12:00:00Z");
    const creator = await makeUser(db);
    const [u] = await makeUsers(db, 1, "settokens");
    await budget(u!);
    const [t1, t2] = [await page(creator), await page(creator)];
    const one = await createToken(db, clock, u!, { name: "one" });
    const two = await createToken(db, clock, u!, { name: "two" });
    const revoked = await createToken(db, clock, u!, { name: "gone" });
    await revokeToken(db, clock, u!, revoked.accessToken.id);
    const cred = (token: string) => tokenCredential(token, clock.now())!;
    const calls = [
      callFor(clock, cred(one.token), t1),
      callFor(clock, cred(two.token), t1),
      callFor(clock, cred(two.token), t2),
      callFor(clock, cred(revoked.token), t2),
      callFor(clock, u!, t2),
    ];
    const reference = await inRolledBack((tx) => flattrManyPerCall(tx, calls));
    const run = await paths(() => flattrMany(db, calls));
    expect(run).toMatchObject({ setBased: 0, perCall: 1 });
    // The call by id goes first (ids before tokens), so the token's flattr of t2 is a repeat.
    const outcomes = run.value.map((r) => (r instanceof Error ? r.message : r.outcome));
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(2);
    expect(outcomes[3]).toBe("invalid_token");
    expect(outcomes[4]).toBe("ok");
    expect(run.value.map(answer)).toEqual(reference.value.map(answer));
    expect(await writtenBy(db, [u!])).toEqual(reference.rows);
  });

  it("runs a batch spanning two periods per call", async () => {
    const creator = await makeUser(db);
    const [p, q] = await makeUsers(db, 2, "setspan");
    await budget(p!);
    await budget(q!);
    const t = await page(creator);
    const calls = [
      callFor(fixedClock("2026-03-31T21:59:59Z"), p!, t),
      callFor(fixedClock("2026-03-31T22:00:01Z"), q!, t),
    ];
    const run = await paths(() => flattrMany(db, calls));
    expect(run).toMatchObject({ setBased: 0, perCall: 1 });
    expect(
      run.value.map((r) => (r instanceof Error ? r.message : `${r.outcome} ${r.period}`)),
    ).toEqual(["ok 2026-03", "ok 2026-04"]);
  });
});

/** What `fn` answers and writes for `payers`, in a transaction then rolled back. */
async function inRolledBack(
  fn: (tx: Db) => Promise<(OutcomeRow | Error)[]>,
  payers?: number[],
): Promise<{ value: (OutcomeRow | Error)[]; rows: string[] }> {
  let got: { value: (OutcomeRow | Error)[]; rows: string[] } | null = null;
  const rollback = new Error("rollback");
  await db
    .transaction(async (tx) => {
      const value = await fn(tx as Db);
      const ids =
        payers ?? value.flatMap((r) => (r instanceof Error || !r.payer ? [] : [Number(r.payer)]));
      got = { value, rows: await writtenBy(tx as Db, [...new Set(ids)]) };
      throw rollback;
    })
    .catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  return got!;
}

describe("set-based and per call agree", () => {
  // A small world per run: four payers (budget none/EUR/USD, flattrs in the last minute and
  // earlier in the month, a token of some kind), five things (a creator's, a payer's own, a
  // deleted account's, a remote note, a remote note linked to a payer), a random batch, and now
  // and then the period sealed. Each run has a month of its own, so seals do not leak.
  const payerArb = fc.record({
    budget: fc.constantFrom("none", "EUR", "EUR", "EUR", "USD"),
    recent: fc.nat(3),
    earlier: fc.nat(5),
    token: fc.constantFrom("none", "rw", "rw", "ro", "revoked"),
    flattred: fc.option(fc.nat(4), { nil: null }),
  });
  const thingArb = fc.oneof(
    fc.constant({ owner: "creator" as const }),
    fc.constant({ owner: "deleted" as const }),
    fc.constant({ owner: "remote" as const }),
    fc.record({ owner: fc.constant("own" as const), payer: fc.nat(3) }),
    fc.record({ owner: fc.constant("linked" as const), payer: fc.nat(3) }),
  );
  const callArb = fc.record({ payer: fc.nat(3), byToken: fc.boolean(), thing: fc.nat(5) });
  const worldArb = fc.record({
    payers: fc.array(payerArb, { minLength: 4, maxLength: 4 }),
    things: fc.array(thingArb, { minLength: 5, maxLength: 5 }),
    // Mostly distinct payers (the set-based path), sometimes not (per call).
    calls: fc.oneof(
      fc.uniqueArray(callArb, { minLength: 1, maxLength: 4, selector: (c) => c.payer }),
      fc.array(callArb, { minLength: 1, maxLength: 8 }),
    ),
    seal: fc.constantFrom(null, null, null, null, null, "being", "closed"),
  });
  let month = 0;

  it("gives the same outcomes, rows and events as flattr_request per call on random batches", async () => {
    let setBased = 0;
    await fc.assert(
      fc.asyncProperty(worldArb, async (w) => {
        month++;
        const period = `${2040 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, "0")}`;
        const clock = fixedClock(`${period}-20T12:00:00Z`);
        const now = clock.now();
        if (w.seal)
          await db.execute(
            sql`insert into closed_periods (period, started_at, closed_at)
                values (${period}, now(), ${w.seal === "closed" ? sql`now()` : sql`null`})`,
          );
        const creator = await makeUser(db);
        const payers = await makeUsers(db, 4, "setprop");
        const things: number[] = [];
        for (const t of w.things) {
          if (t.owner === "creator") things.push(await page(creator));
          else if (t.owner === "own") things.push(await page(payers[t.payer]!));
          else if (t.owner === "remote") things.push((await remoteNote()).thing);
          else if (t.owner === "linked") things.push((await remoteNote(payers[t.payer])).thing);
          else {
            const gone = await makeUser(db);
            things.push(await page(gone));
            await db.execute(sql`update users set deleted_at = now() where id = ${gone}::int8`);
          }
        }
        things.push(987654321); // no such thing
        const who: (number | PayerToken)[] = [];
        for (const [i, p] of w.payers.entries()) {
          const u = payers[i]!;
          if (p.budget !== "none") await budget(u, p.budget);
          const filler = async (n: number) => {
            const ts: number[] = [];
            for (let k = 0; k < n; k++) ts.push(await page(creator));
            return ts;
          };
          await history(u, await filler(p.recent), new Date(now.getTime() - 10_000), period);
          await history(u, await filler(p.earlier), new Date(now.getTime() - 86_400_000), period);
          if (p.flattred !== null && w.things[p.flattred]!.owner !== "deleted")
            await history(u, [things[p.flattred]!], new Date(now.getTime() - 86_400_000), period);
          if (p.token === "none") who.push(u);
          else {
            const t = await createToken(db, clock, u, {
              name: "p",
              scopes: p.token === "ro" ? ["read"] : undefined,
            });
            if (p.token === "revoked") await revokeToken(db, clock, u, t.accessToken.id);
            who.push(tokenCredential(t.token, now)!);
          }
        }
        const calls = w.calls.map((c) =>
          callFor(clock, c.byToken ? who[c.payer]! : payers[c.payer]!, things[c.thing]!),
        );
        const reference = await inRolledBack((tx) => flattrManyPerCall(tx, calls), payers);
        const before = { ...flattrBatchPaths };
        const got = await flattrMany(db, calls);
        setBased += flattrBatchPaths.setBased - before.setBased;
        expect(got.map(answer)).toEqual(reference.value.map(answer));
        expect(await writtenBy(db, payers)).toEqual(reference.rows);
      }),
      { numRuns: 40 },
    );
    // The property must have exercised the set-based path (one-call batches go alone).
    expect(setBased).toBeGreaterThan(5);
  });
});

describe.runIf(usingPostgres)("a concurrent close", () => {
  let other: Database;
  beforeAll(() => {
    other = openPostgres(database.url!, { max: 4 });
  });
  afterAll(async () => {
    await other?.close();
  });

  const waitingFor = async (what: string, query: ReturnType<typeof sql>) => {
    for (let i = 0; i < 500; i++) {
      const [r] = await queryRows<{ n: string }>(db, query);
      if (Number(r!.n) > 0) return;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`never waited: ${what}`);
  };

  it("a batch that waits for the seal's lock sees the seal once it commits", async () => {
    const clock = fixedClock("2025-08-20T12:00:00Z");
    const { lockClass, periodKey } = periodLock("2025-08");
    const creator = await makeUser(db);
    const payers = await makeUsers(db, 3, "setclose");
    for (const p of payers) await budget(p);
    const t = await page(creator);
    let batch: Promise<{ value: (OutcomeRow | Error)[]; setBased: number }> | null = null;
    await other.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${lockClass}::int4, ${periodKey}::int4)`);
      await tx.execute(
        sql`insert into closed_periods (period, started_at) values ('2025-08', now())`,
      );
      batch = paths(() =>
        flattrMany(
          db,
          payers.map((p) => callFor(clock, p, t)),
        ),
      );
      await waitingFor(
        "the batch for the seal",
        sql`select count(*)::text as n from pg_locks
            where locktype = 'advisory' and not granted and classid = ${lockClass} and objid = ${periodKey}`,
      );
    });
    const run = await batch!;
    expect(run.setBased).toBe(1);
    expect(run.value.map((r) => (r instanceof Error ? r.message : r.outcome))).toEqual([
      "period_being_closed",
      "period_being_closed",
      "period_being_closed",
    ]);
    expect(await writtenBy(db, payers)).toEqual([]);
  });

  it("the seal waits for a batch that holds the period's lock, and the batch's flattrs are in before it", async () => {
    const clock = fixedClock("2025-09-20T12:00:00Z");
    const { lockClass, periodKey } = periodLock("2025-09");
    const creator = await makeUser(db);
    const payers = await makeUsers(db, 3, "setclose");
    for (const p of payers) await budget(p);
    const t = await page(creator);
    let batch: Promise<{ value: (OutcomeRow | Error)[]; setBased: number }> | null = null;
    let seal: Promise<string> | null = null;
    // A budget row held elsewhere stops the batch after the period gate, holding the shared lock.
    await other.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from budgets where user_id = ${payers[1]}::int8 for update`);
      batch = paths(() =>
        flattrMany(
          db,
          payers.map((p) => callFor(clock, p, t)),
        ),
      );
      await waitingFor(
        "the batch for the budget row",
        sql`select count(*)::text as n from pg_locks where locktype = 'transactionid' and not granted`,
      );
      seal = other.db.transaction(async (s) => {
        await s.execute(sql`select pg_advisory_xact_lock(${lockClass}::int4, ${periodKey}::int4)`);
        const [r] = await queryRows<{ n: string }>(
          s,
          sql`select count(*)::text as n from flattrs where thing_id = ${t}::int8`,
        );
        await s.execute(
          sql`insert into closed_periods (period, started_at) values ('2025-09', now())`,
        );
        return r!.n;
      });
      await waitingFor(
        "the seal for the batch",
        sql`select count(*)::text as n from pg_locks
            where locktype = 'advisory' and not granted and classid = ${lockClass} and objid = ${periodKey}`,
      );
    });
    const run = await batch!;
    expect(run.setBased).toBe(1);
    expect(run.value.map((r) => (r instanceof Error ? r.message : r.outcome))).toEqual([
      "ok",
      "ok",
      "ok",
    ]);
    // The seal got its lock only after the batch committed: it saw all three flattrs.
    expect(await seal!).toBe("3");
  });
});
