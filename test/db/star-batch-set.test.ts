// favourite_batch (src/db/sql/star-functions.sql, docs/adr/0038) decides a batch of stars
// set-based: the tokens, the statuses with their visibility and their things in one statement,
// then flattr_batch's decision for the stars still in the running, then the counts. It is held to
// favourite_request called once per star (test/helpers/star-per-call.ts) on random batches over
// a world with every refusal: the same outcome, payer and app for every star, the same flattrs
// written, and a count on exactly the stars that flattred or had flattred.
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import { createToken, hashAccessToken, revokeToken } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattrCall } from "../../src/flattr/flattr.ts";
import { type StarCall, starMany } from "../../src/flattr/star-batch.ts";
import { follow } from "../../src/social/follows.ts";
import { noFederation } from "../../src/social/ports.ts";
import { createPost } from "../../src/social/posts.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { starManyPerCall } from "../helpers/star-per-call.ts";

let database: Database;
let db: Db;
const config = testConfig({ ORIGIN: "http://localhost:8080", FLATTR_RATE_LIMIT: "3/60" });
const clock = fixedClock("2026-03-10T12:00:00Z");
/** Token hashes by what they are; statuses by what they are. */
const tokens: string[] = [];
const statuses: bigint[] = [];

class Rollback extends Error {}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  const social = { db, clock, config, federation: noFederation };
  const author = await makeUser(db, "sbs_author");
  const payers = [
    await makeUser(db, "sbs_p0"),
    await makeUser(db, "sbs_p1"),
    await makeUser(db, "sbs_p2"),
    await makeUser(db, "sbs_p3"),
  ];
  for (const p of payers.slice(0, 3)) {
    await deposit(db, config, p, 1000n);
    await setBudget(db, clock, config, p, 500n);
  }
  // p3 has no budget. p0 follows the author (sees the private post).
  expect((await follow(social, payers[0]!, "@sbs_author")).ok).toBe(true);
  const post = async (content: string, visibility?: string) => {
    const made = await createPost(social, author, { content });
    if (!made.ok) throw made.error;
    if (visibility)
      await queryRows(
        db,
        sql`update statuses set visibility = ${visibility} where id = ${made.value.id}::int8`,
      );
    return made.value.id;
  };
  statuses.push(
    await post("Public"),
    await post("Unlisted", "unlisted"),
    await post("Private", "private"),
    await post("Direct to @sbs_p1", "direct"),
    await post("Public too"),
  );
  const deleted = await post("Deleted");
  await queryRows(db, sql`update statuses set deleted_at = now() where id = ${deleted}::int8`);
  const thingless = await post("Without a thing");
  await queryRows(db, sql`update statuses set thing_id = null where id = ${thingless}::int8`);
  // favourite_batch looks up the things itself (flattr_batch's lookup, docs/adr/0039): a
  // superseded thing and a thing whose owner deleted their account are thing_not_found.
  const superseded = await post("Its thing superseded");
  await queryRows(
    db,
    sql`update things set superseded_by = (select thing_id from statuses where id = ${statuses[0]!}::int8)
         where id = (select thing_id from statuses where id = ${superseded}::int8)`,
  );
  const gone = await makeUser(db, "sbs_gone");
  const orphan = await createPost(social, gone, { content: "By a deleted account" });
  if (!orphan.ok) throw orphan.error;
  await queryRows(db, sql`update users set deleted_at = now() where id = ${gone}::int8`);
  statuses.push(deleted, thingless, 999n, superseded, orphan.value.id);

  const { app } = await registerApp(db, clock, {
    name: "Batch app",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: "read write",
  });
  const hash = (t: string) => hashAccessToken(t);
  for (const p of payers)
    tokens.push(hash((await issueOAuthToken(db, clock, app, p, ["write"])).token));
  tokens.push(hash((await createToken(db, clock, payers[0]!, { name: "pat" })).token));
  tokens.push(hash((await issueOAuthToken(db, clock, app, payers[0]!, ["read"])).token));
  // An app-only token never holds a write scope (a CHECK says so): it is refused for its scope.
  tokens.push(hash((await issueOAuthToken(db, clock, app, null, ["read"])).token));
  const revoked = await createToken(db, clock, payers[1]!, { name: "revoked" });
  await revokeToken(db, clock, payers[1]!, revoked.accessToken.id);
  tokens.push(hash(revoked.token), "0".repeat(64));
  tokens.push(hash((await createToken(db, clock, author, { name: "own" })).token));
  // p2 starred the first public post already (already_flattred), p0 is one short of the rate
  // limit.
  const [first] = await starMany(db, [starCall(tokens[2]!, statuses[0]!)]);
  expect(first).toMatchObject({ outcome: "ok" });
  const [near] = await starMany(db, [starCall(tokens[0]!, statuses[4]!)]);
  expect(near).toMatchObject({ outcome: "ok" });
});
afterAll(async () => {
  await database?.close();
});

function starCall(tokenHash: string, statusId: bigint): StarCall {
  const {
    tokenHash: _,
    payerId: __,
    appId: ___,
    thingId: ____,
    ...call
  } = flattrCall(clock, config, 0, 0);
  return { ...call, tokenHash, tokenStampBefore: null, statusId };
}

/** Runs `fn` in a transaction that is rolled back: each side starts from the same world. */
async function inRollback<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
  let out: T | undefined;
  await db
    .transaction(async (tx) => {
      out = await fn(tx as unknown as Db);
      throw new Rollback();
    })
    .catch((e) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return out as T;
}

const written = (tx: Db) =>
  queryRows<{ thing: string; payer: string; app: string | null }>(
    tx,
    sql`select thing_id::text as thing, payer_id::text as payer, app_id::text as app
          from flattrs where withdrawn_at is null order by thing_id, payer_id`,
  );

describe("favourite_batch", () => {
  it("answers every refusal of one batch as favourite_request does", async () => {
    const calls = [
      starCall(tokens[1]!, statuses[0]!), // ok
      starCall(tokens[2]!, statuses[0]!), // already_flattred
      starCall(tokens[3]!, statuses[1]!), // no_budget
      starCall(tokens[5]!, statuses[0]!), // insufficient_scope
      starCall(tokens[6]!, statuses[0]!), // insufficient_scope (app-only)
      starCall(tokens[7]!, statuses[0]!), // invalid_token (revoked)
      starCall(tokens[8]!, statuses[0]!), // invalid_token (unknown)
      starCall(tokens[9]!, statuses[0]!), // own_status
      starCall(tokens[1]!, statuses[2]!), // status_not_found (private, not a follower)
      starCall(tokens[1]!, statuses[5]!), // status_not_found (deleted)
      starCall(tokens[1]!, statuses[6]!), // door (no thing)
      starCall(tokens[1]!, statuses[7]!), // status_not_found (none)
      starCall(tokens[1]!, statuses[8]!), // thing_not_found (superseded)
      starCall(tokens[1]!, statuses[9]!), // thing_not_found (its owner deleted their account)
    ];
    const batch = await inRollback(async (tx) => ({
      rows: await starMany(tx, calls),
      flattrs: await written(tx),
    }));
    const outcomes = batch.rows.map((r) => (r instanceof Error ? r.message : r.outcome));
    expect(outcomes).toEqual([
      "ok",
      "already_flattred",
      "no_budget",
      "insufficient_scope",
      "insufficient_scope",
      "invalid_token",
      "invalid_token",
      "own_status",
      "status_not_found",
      "status_not_found",
      "door",
      "status_not_found",
      "thing_not_found",
      "thing_not_found",
    ]);
    const ok = batch.rows[0]!;
    if (ok instanceof Error) throw ok;
    expect(ok.stars).toBe("2");
    expect(ok.status?.id).toBe(String(statuses[0]));
    expect(batch.rows[2]).toMatchObject({ status: null, stars: null });
    expect(batch.flattrs).toHaveLength(3);
  });

  it("gives the outcomes, payers, apps and flattrs of favourite_request per star on random batches", async () => {
    const callArb = fc.record({
      token: fc.nat(tokens.length - 1),
      status: fc.nat(statuses.length - 1),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 2, maxLength: 8 }), async (picked) => {
        const calls = picked.map((p) => starCall(tokens[p.token]!, statuses[p.status]!));
        const batch = await inRollback(async (tx) => ({
          rows: await starMany(tx, calls),
          flattrs: await written(tx),
        }));
        const single = await inRollback(async (tx) => ({
          rows: await starManyPerCall(tx, calls),
          flattrs: await written(tx),
        }));
        const shape = (rows: typeof batch.rows | typeof single.rows) =>
          rows.map((r) =>
            r instanceof Error
              ? r.message
              : [r.outcome, r.payer, r.app, r.stars === null ? "no count" : "count"],
          );
        expect(shape(batch.rows)).toEqual(shape(single.rows));
        expect(batch.flattrs).toEqual(single.flattrs);
      }),
      { numRuns: 60 },
    );
  });
});
