// Flattrs are group committed (src/flattr/flattr-batch.ts): flattrs submitted together through
// flattr() share one flattr_request statement and one transaction. Each must still get its own
// outcome, the per-payer limits must stay exact inside a batch, one flattr that makes the database
// raise must not fail the others, token payers are checked in the same statement, and a flattr
// inside a caller's transaction stays part of it.
import { sql } from "drizzle-orm";
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
import { type Config, testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { pgError } from "../../src/db/pg-error.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { FlattrError, type FlattrErrorCode, PayerTokenError } from "../../src/flattr/errors.ts";
import { type Flattr, flattr, flattrCall, type PayerToken } from "../../src/flattr/flattr.ts";
import {
  type FlattrCall,
  flattrMany,
  flattrOne,
  type OutcomeRow,
} from "../../src/flattr/flattr-batch.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  CURRENCY: "EUR",
  FLATTR_RATE_LIMIT: "30/60",
  MAX_FLATTRS_PER_PERIOD: "100",
});
const START = "2026-03-10T12:00:00Z";

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

let pages = 0;
async function things(owner: number, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const { thing } = await registerThing(db, fixedClock(START), config, owner, {
      url: `https://batch.example/${++pages}`,
      title: `Page ${pages}`,
    });
    ids.push(thing.id);
  }
  return ids;
}

/** A user with a budget in the instance currency, ready to flattr. */
async function payer(): Promise<number> {
  const u = await makeUser(db);
  await setBudget(db, fixedClock(START), config, u, 500n);
  return u;
}

/** The call flattr() builds for this payer and thing, with some fields changed. */
function callFor(
  clock: Clock,
  cfg: Config,
  who: number | PayerToken,
  thingId: number,
  overrides: Partial<FlattrCall> = {},
): FlattrCall {
  return { ...flattrCall(clock, cfg, who, thingId), ...overrides };
}

/** Active flattrs of these payers: payer:thing, sorted. */
async function rowsOf(payers: number[]): Promise<string[]> {
  const rows = await queryRows<{ k: string }>(
    db,
    sql`select payer_id::text || ':' || thing_id::text as k from flattrs
        where payer_id = any(${sql.raw(`ARRAY[${payers.join(",")}]::int8[]`)})
          and withdrawn_at is null`,
  );
  return rows.map((r) => r.k).sort();
}

/** Distinct writing transactions (xmin) of these payers' flattr rows. */
async function transactionsOf(payers: number[]): Promise<number> {
  const [r] = await queryRows<{ n: string }>(
    db,
    sql`select count(distinct xmin::text)::text as n from flattrs
        where payer_id = any(${sql.raw(`ARRAY[${payers.join(",")}]::int8[]`)})`,
  );
  return Number(r!.n);
}

const outcome = (r: OutcomeRow | Error): string =>
  r instanceof Error ? `error: ${r.message.slice(0, 60)}` : r.outcome;

function codeOf(r: PromiseSettledResult<Flattr>): string {
  if (r.status === "fulfilled") return "ok";
  const e = r.reason as unknown;
  if (e instanceof FlattrError) return e.code;
  if (e instanceof PayerTokenError) return e.reason;
  return `unexpected: ${String(e)}`;
}

async function refusedWith(p: Promise<unknown>, code: FlattrErrorCode): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FlattrError);
  expect((e as FlattrError).code).toBe(code);
}

async function tokenRefused(p: Promise<unknown>, reason: PayerTokenError["reason"]): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PayerTokenError);
  expect((e as PayerTokenError).reason).toBe(reason);
}

async function lastUsedAt(tokenId: number): Promise<string | null> {
  const [r] = await queryRows<{ t: string | null }>(
    db,
    sql`select to_char(last_used_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as t
        from access_tokens where id = ${tokenId}::int8`,
  );
  return r!.t;
}

/**
 * flattrMany with four good calls and one the database raises on (its bogus period breaks the
 * flattrs_period_format CHECK). A batch runs its calls in payer-id order, so the bad call raises
 * before any row was sent ("first") or after the others' rows were ("last"). Reports what each call
 * got, which rows were written, and whether the pool still answers later queries correctly.
 */
async function batchWithBadCall(bad: "first" | "last") {
  const clock = fixedClock(START);
  const owner = await makeUser(db);
  const ts = await things(owner, 4);
  const low = await payer();
  const good = [await payer(), await payer(), await payer()];
  const high = await payer();
  const badPayer = bad === "first" ? low : high;
  const calls = [
    callFor(clock, config, good[0]!, ts[0]!),
    callFor(clock, config, badPayer, ts[1]!, { period: "bogus" }),
    callFor(clock, config, good[1]!, ts[2]!),
    callFor(clock, config, good[2]!, ts[3]!),
    callFor(clock, config, good[2]!, ts[0]!),
  ];
  let threw: string | null = null;
  const results = await flattrMany(db, calls).catch((e: unknown) => {
    // A throw fails every flattr of the batch with the one call's error.
    threw = `${(e as Error).constructor.name}, code ${(e as { code?: unknown }).code}, SQLSTATE in its cause chain ${pgError(e)?.code}`;
    return null;
  });
  const got = {
    threw,
    outcomes: results?.map((r) =>
      r instanceof Error ? `error ${pgError(r)?.code ?? r.message}` : r.outcome,
    ),
    rows: await rowsOf([low, ...good, high]),
    wrongAnswersAfterwards: await probePool(),
  };
  const expected = {
    threw: null,
    outcomes: ["ok", "error 23514", "ok", "ok", "ok"],
    rows: [
      `${good[0]}:${ts[0]}`,
      `${good[1]}:${ts[2]}`,
      `${good[2]}:${ts[3]}`,
      `${good[2]}:${ts[0]}`,
    ].sort(),
    wrongAnswersAfterwards: [],
  };
  return { got, expected };
}

/** Queries that each answer rows 1..3; any other answer, described. */
async function probePool(): Promise<string[]> {
  const wrong: string[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await queryRows<{ k: string }>(
      db,
      sql`select g::text as k from generate_series(1, 3) g`,
    );
    const dense = Object.keys(r).filter((k) => /^\d+$/.test(k)).length;
    if (r.length !== 3 || dense !== 3)
      wrong.push(`query ${i}: length ${r.length}, ${dense} rows: ${JSON.stringify(r)}`);
  }
  return wrong;
}

describe("batching", () => {
  it("runs many concurrent flattrs, each with its own result, in few transactions", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [a, b] = await things(owner, 2);
    const payers: number[] = [];
    for (let i = 0; i < 40; i++) payers.push(await payer());
    const wanted = payers.flatMap((p, i) =>
      i % 3 === 0 ? [[p, a!] as const] : [[p, a!] as const, [p, b!] as const],
    );
    expect(wanted.length).toBeGreaterThan(64);

    // Submitted in one tick: the batcher must carry them in batches, not one by one.
    const results = await Promise.all(wanted.map(([p, t]) => flattr(db, clock, config, p, t)));
    results.forEach((f, i) => {
      expect({ payerId: f.payerId, thingId: f.thingId, period: f.period }).toEqual({
        payerId: wanted[i]![0],
        thingId: wanted[i]![1],
        period: "2026-03",
      });
      expect(f.createdAt.toISOString()).toBe("2026-03-10T12:00:00.000Z");
    });
    expect(new Set(results.map((f) => f.id)).size).toBe(wanted.length);
    expect(await rowsOf(payers)).toEqual(wanted.map(([p, t]) => `${p}:${t}`).sort());
    // Batches of at most 64: more than 64 flattrs submitted at once are two transactions.
    expect(await transactionsOf(payers)).toBe(2);
  });

  it("gives each call of one batch its own outcome, one flattr per thing and payer", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [a, b, c] = await things(owner, 3);
    const p1 = await payer();
    const p2 = await payer();
    const noBudget = await makeUser(db);
    const calls = [
      callFor(clock, config, p2, a!),
      callFor(clock, config, p1, a!),
      callFor(clock, config, p1, b!),
      callFor(clock, config, p1, a!),
      callFor(clock, config, owner, c!),
      callFor(clock, config, noBudget, c!),
      callFor(clock, config, p2, 987654321),
    ];
    const results = await flattrMany(db, calls);
    expect(results.map(outcome)).toEqual([
      "ok",
      "ok",
      "ok",
      "already_flattred",
      "own_thing",
      "no_budget",
      "thing_not_found",
    ]);
    const ok = results.slice(0, 3) as OutcomeRow[];
    expect(ok.map((r) => [r.payer_id, r.thing_id, r.payer])).toEqual([
      [String(p2), String(a), String(p2)],
      [String(p1), String(a), String(p1)],
      [String(p1), String(b), String(p1)],
    ]);
    expect(await rowsOf([p1, p2, owner, noBudget])).toEqual(
      [`${p2}:${a}`, `${p1}:${a}`, `${p1}:${b}`].sort(),
    );
    // One statement, one transaction.
    expect(await transactionsOf([p1, p2])).toBe(1);
  });
});

describe("limits inside one batch", () => {
  it("keeps the rate limit exact", async () => {
    const cfg = testConfig({ TIME_ZONE: "Europe/Berlin", FLATTR_RATE_LIMIT: "3/60" });
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const ts = await things(owner, 5);
    const p = await payer();
    const settled = await Promise.allSettled(ts.map((t) => flattr(db, clock, cfg, p, t)));
    const codes = settled.map(codeOf);
    expect(codes.filter((c) => c === "ok")).toHaveLength(3);
    expect(codes.filter((c) => c === "rate_limited")).toHaveLength(2);
    expect(await rowsOf([p])).toHaveLength(3);
    expect(await transactionsOf([p])).toBe(1);

    // The same through flattrMany directly, for another payer.
    const q = await payer();
    const results = await flattrMany(
      db,
      ts.map((t) => callFor(clock, cfg, q, t)),
    );
    expect(results.map(outcome)).toEqual(["ok", "ok", "ok", "rate_limited", "rate_limited"]);
    expect(await rowsOf([q])).toHaveLength(3);
  });

  it("keeps the per-period limit exact", async () => {
    const cfg = testConfig({
      TIME_ZONE: "Europe/Berlin",
      FLATTR_RATE_LIMIT: "100/60",
      MAX_FLATTRS_PER_PERIOD: "4",
    });
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const ts = await things(owner, 7);
    const p = await payer();
    await flattr(db, clock, cfg, p, ts[0]!);
    // A flattr earlier in the period, outside the rate window: only the period limit applies.
    clock.advance(3_600_000);
    const settled = await Promise.allSettled(ts.slice(1).map((t) => flattr(db, clock, cfg, p, t)));
    const codes = settled.map(codeOf);
    expect(codes.filter((c) => c === "ok")).toHaveLength(3);
    expect(codes.filter((c) => c === "period_limit")).toHaveLength(3);
    expect(await rowsOf([p])).toHaveLength(4);
  });
});

describe("a call the database refuses", () => {
  it("raises a check violation for a bogus period", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [t] = await things(owner, 1);
    const p = await payer();
    const e = await flattrOne(db, callFor(clock, config, p, t!, { period: "bogus" })).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect(pgError(e)).toMatchObject({ code: "23514", constraint: "flattrs_period_format" });
    expect(await rowsOf([p])).toEqual([]);
  });

  it("fails only that call of the batch; the others are written exactly once", async () => {
    const { got, expected } = await batchWithBadCall("first");
    expect(got).toEqual(expected);
  });
});

describe("token payers", () => {
  it("OAuth tokens in a batch: write:favourites may flattr, the app is recorded, app-only tokens act for nobody", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [t, t2] = await things(owner, 2);
    const [a, b, c] = [await payer(), await payer(), await payer()];
    const { app } = await registerApp(db, clock, {
      name: "Star Phone",
      redirectUris: "urn:ietf:wg:oauth:2.0:oob",
      scopes: "read write",
    });
    const { app: other } = await registerApp(db, clock, {
      name: "Other",
      redirectUris: "urn:ietf:wg:oauth:2.0:oob",
      scopes: "read write",
    });
    const stars = await issueOAuthToken(db, clock, app, a, ["write:favourites"]);
    const reader = await issueOAuthToken(db, clock, app, b, ["read"]);
    const appOnly = await issueOAuthToken(db, clock, app, null, ["read", "write"]);
    const cred = (token: string) => tokenCredential(token, clock.now())!;
    // An app-only token is not shaped like a user's (the API refuses it before any statement);
    // by its hash, the statement still refuses it: it holds reading scopes only, and no user.
    expect(tokenCredential(appOnly.token, clock.now())).toBeNull();
    const byHash: PayerToken = {
      tokenHash: hashAccessToken(appOnly.token),
      stampBefore: new Date(clock.now().getTime() - 60_000),
    };
    const calls = [
      callFor(clock, config, cred(stars.token), t!),
      callFor(clock, config, cred(reader.token), t!),
      callFor(clock, config, byHash, t!),
      // A payer by id with the app a Mastodon route already checked.
      callFor(clock, config, c, t!, { appId: other.id }),
      callFor(clock, config, c, t2!),
    ];
    const results = await flattrMany(db, calls);
    expect(results.map(outcome)).toEqual([
      "ok",
      "insufficient_scope",
      "insufficient_scope",
      "ok",
      "ok",
    ]);
    const apps = await queryRows<{ k: string }>(
      db,
      sql`select payer_id::text || ':' || thing_id::text || ':' || coalesce(app_id::text, '-') as k
          from flattrs where payer_id in (${a}::int8, ${b}::int8, ${c}::int8) order by id`,
    );
    expect(apps.map((r) => r.k).sort()).toEqual(
      [`${a}:${t}:${app.id}`, `${c}:${t}:${other.id}`, `${c}:${t2}:-`].sort(),
    );
    // One alone (no batch) takes the same path.
    await tokenRefused(flattr(db, clock, config, byHash, t2!), "insufficient_scope");
  });

  it("flattrs as the token's user with a read+write token", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [t] = await things(owner, 1);
    const u = await payer();
    const { token, accessToken } = await createToken(db, clock, u, { name: "rw" });
    const f = await flattr(db, clock, config, tokenCredential(token, clock.now())!, t!);
    expect(f).toMatchObject({ payerId: u, thingId: t, period: "2026-03" });
    expect(await rowsOf([u])).toEqual([`${u}:${t}`]);
    expect(await lastUsedAt(accessToken.id)).toBe("2026-03-10T12:00:00Z");
    // The token's user is the payer for the rules, too.
    await refusedWith(
      flattr(db, clock, config, tokenCredential(token, clock.now())!, t!),
      "already_flattred",
    );
  });

  it("refuses an unknown or revoked token and writes nothing", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [t] = await things(owner, 1);
    const u = await payer();
    const unknown = `${TOKEN_PREFIX}${"A".repeat(43)}`;
    expect(tokenCredential(unknown, clock.now())).not.toBeNull();
    await tokenRefused(
      flattr(db, clock, config, tokenCredential(unknown, clock.now())!, t!),
      "invalid_token",
    );
    const { token, accessToken } = await createToken(db, clock, u, { name: "gone" });
    expect(await revokeToken(db, clock, u, accessToken.id)).toBe(true);
    await tokenRefused(
      flattr(db, clock, config, tokenCredential(token, clock.now())!, t!),
      "invalid_token",
    );
    expect(await rowsOf([u])).toEqual([]);
    expect(await lastUsedAt(accessToken.id)).toBeNull();
  });

  it("refuses a read-only token but stamps it as used, like verifyToken", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [t] = await things(owner, 1);
    const u = await payer();
    const { token, accessToken } = await createToken(db, clock, u, {
      name: "ro",
      scopes: ["read"],
    });
    expect(await lastUsedAt(accessToken.id)).toBeNull();
    await tokenRefused(
      flattr(db, clock, config, tokenCredential(token, clock.now())!, t!),
      "insufficient_scope",
    );
    expect(await rowsOf([u])).toEqual([]);
    expect(await lastUsedAt(accessToken.id)).toBe("2026-03-10T12:00:00Z");
    // At most once a minute, as verifyToken does.
    clock.advance(30_000);
    await tokenRefused(
      flattr(db, clock, config, tokenCredential(token, clock.now())!, t!),
      "insufficient_scope",
    );
    expect(await lastUsedAt(accessToken.id)).toBe("2026-03-10T12:00:00Z");
    clock.advance(31_000);
    await tokenRefused(
      flattr(db, clock, config, tokenCredential(token, clock.now())!, t!),
      "insufficient_scope",
    );
    expect(await lastUsedAt(accessToken.id)).toBe("2026-03-10T12:01:01Z");
  });

  it("gives id payers and token payers of one batch each their own result", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [t, t2] = await things(owner, 2);
    const a = await payer();
    const b = await payer();
    const c = await payer();
    const rw = await createToken(db, clock, b, { name: "rw" });
    const ro = await createToken(db, clock, c, { name: "ro", scopes: ["read"] });
    const cred = (token: string) => tokenCredential(token, clock.now())!;
    const unknown: PayerToken = {
      tokenHash: hashAccessToken(`${TOKEN_PREFIX}${"B".repeat(43)}`),
      stampBefore: new Date(clock.now().getTime() - 60_000),
    };
    const calls = [
      callFor(clock, config, cred(rw.token), t!),
      callFor(clock, config, a, t!),
      callFor(clock, config, unknown, t!),
      callFor(clock, config, cred(ro.token), t!),
      // The token's user by id, same thing: ids go first in a batch, so this one wins.
      callFor(clock, config, b, t!),
      callFor(clock, config, cred(rw.token), t2!),
      callFor(clock, config, c, t2!),
    ];
    const results = await flattrMany(db, calls);
    expect(results.map(outcome)).toEqual([
      "already_flattred",
      "ok",
      "invalid_token",
      "insufficient_scope",
      "ok",
      "ok",
      "ok",
    ]);
    const rows = results as OutcomeRow[];
    expect(rows.map((r) => r.payer ?? null)).toEqual([
      String(b),
      String(a),
      null,
      String(c),
      String(b),
      String(b),
      String(c),
    ]);
    expect(rows[5]).toMatchObject({ payer_id: String(b), thing_id: String(t2) });
    expect(await rowsOf([a, b, c])).toEqual(
      [`${a}:${t}`, `${b}:${t}`, `${b}:${t2}`, `${c}:${t2}`].sort(),
    );
    expect(await lastUsedAt(ro.accessToken.id)).toBe("2026-03-10T12:00:00Z");
    expect(await lastUsedAt(rw.accessToken.id)).toBe("2026-03-10T12:00:00Z");
  });
  // The batch stamps its tokens in one UPDATE that skips rows another transaction holds (a
  // concurrent stamp or a revocation): waiting could deadlock two batches sharing tokens.
  it.runIf(usingPostgres)(
    "flattrs without waiting for a token row another transaction holds",
    async () => {
      const clock = fixedClock(START);
      const owner = await makeUser(db);
      const [t, t2] = await things(owner, 2);
      const u = await payer();
      const v = await payer();
      const held = await createToken(db, clock, u, { name: "held" });
      const free = await createToken(db, clock, v, { name: "free" });
      const cred = (token: string) => tokenCredential(token, clock.now())!;
      let results: (OutcomeRow | Error)[] = [];
      await db.transaction(async (tx) => {
        await tx.execute(
          sql`select 1 from access_tokens where id = ${held.accessToken.id}::int8 for update`,
        );
        results = await flattrMany(db, [
          callFor(clock, config, cred(held.token), t!),
          callFor(clock, config, cred(free.token), t2!),
        ]);
      });
      expect(results.map(outcome)).toEqual(["ok", "ok"]);
      expect(await rowsOf([u, v])).toEqual([`${u}:${t}`, `${v}:${t2}`].sort());
      // The held token's stamp was left to its holder; the other one is stamped.
      expect(await lastUsedAt(held.accessToken.id)).toBeNull();
      expect(await lastUsedAt(free.accessToken.id)).toBe("2026-03-10T12:00:00Z");
    },
  );
});

describe("inside a transaction", () => {
  it("rolls back with the caller's transaction", async () => {
    const clock = fixedClock(START);
    const owner = await makeUser(db);
    const [t, t2] = await things(owner, 2);
    const p = await payer();
    const e = await db
      .transaction(async (tx) => {
        const f = await flattr(tx, clock, config, p, t!);
        expect(f).toMatchObject({ payerId: p, thingId: t });
        const [seen] = await queryRows<{ n: string }>(
          tx,
          sql`select count(*)::text as n from flattrs where payer_id = ${p}::int8`,
        );
        expect(seen!.n).toBe("1");
        throw new Error("abort");
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect((e as Error).message).toBe("abort");
    expect(await rowsOf([p])).toEqual([]);

    // Committed with it, too: two flattrs of one transaction are one transaction's rows.
    await db.transaction(async (tx) => {
      await flattr(tx, clock, config, p, t!);
      await flattr(tx, clock, config, p, t2!);
    });
    expect(await rowsOf([p])).toEqual([`${p}:${t}`, `${p}:${t2}`].sort());
    expect(await transactionsOf([p])).toBe(1);
  });
});

// Last in the file: on PostgreSQL a statement that raises after sending rows leaves its postgres.js
// connection's row counter stale (porsager/postgres#1119, #1181: reset only on CommandComplete), so
// that connection's next query answers a sparse array; that must not disturb the tests above.
describe("a call the database refuses after others' rows were sent", () => {
  it("fails only that call; the others are written once and the pool stays sound", async () => {
    try {
      const { got, expected } = await batchWithBadCall("last");
      expect(got).toEqual(expected);
    } finally {
      // A postgres.js connection with a stale row counter is reset by its next completed query.
      await Promise.all(
        Array.from({ length: 30 }, () => queryRows(db, sql`select 1 as one`).catch(() => null)),
      );
    }
  });
});
