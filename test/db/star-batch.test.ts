// Stars are group committed (src/flattr/star-batch.ts, docs/adr/0028, 0038): stars submitted
// together share one favourite_batch statement and one transaction. Each gets its own outcome and
// a star count read after the batch's flattrs, the same token starring the same
// status twice in one batch flattrs once, and a batch the database refuses is retried star by
// star so that the others still get their answers.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, tokenCredential } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattrCall } from "../../src/flattr/flattr.ts";
import { type StarCall, starMany } from "../../src/flattr/star-batch.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { noFederation } from "../../src/social/ports.ts";
import { createPost } from "../../src/social/posts.ts";
import { createTestDatabase, usingPostgres } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
const config = testConfig({ ORIGIN: "http://localhost:8080", FLATTR_RATE_LIMIT: "30/60" });
const clock = fixedClock("2026-03-10T12:00:00Z");

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

async function payerToken(name: string): Promise<string> {
  return (await payerTokenRow(name)).token;
}

async function payerTokenRow(name: string) {
  const user = await makeUser(db, name);
  await deposit(db, config, user, 1000n);
  await setBudget(db, clock, config, user, 500n);
  return createToken(db, clock, user, { name: "stars" });
}

async function lastUsedAt(tokenId: number): Promise<string | null> {
  const [r] = await queryRows<{ t: string | null }>(
    db,
    sql`select to_char(last_used_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as t
        from access_tokens where id = ${tokenId}::int8`,
  );
  return r!.t;
}

async function postBy(name: string): Promise<bigint> {
  const author = await makeUser(db, name);
  const made = await createPost({ db, clock, config, federation: noFederation }, author, {
    content: `By ${name}`,
  });
  if (!made.ok) throw made.error;
  return made.value.id;
}

function starCall(token: string, statusId: bigint): StarCall {
  const { tokenHash, ...call } = flattrCall(clock, config, tokenCredential(token, clock.now())!, 0);
  return { ...call, tokenHash: tokenHash!, statusId };
}

describe("stars in one statement", () => {
  it("answers each star of a batch with its own outcome and count, and flattrs a repeat once", async () => {
    const author = await makeUser(db, "star_author");
    const made = await createPost({ db, clock, config, federation: noFederation }, author, {
      content: "Batch me",
    });
    if (!made.ok) throw made.error;
    const id = made.value.id;
    const [a, b, c] = [
      await payerToken("sb_a"),
      await payerToken("sb_b"),
      await payerToken("sb_c"),
    ];
    const rows = await starMany(db, [
      starCall(a, id),
      starCall(b, id),
      starCall(a, id),
      starCall(c, 999n),
      starCall(c, id),
    ]);
    const answers = rows.map((r) => (r instanceof Error ? r.message : [r.outcome, r.stars]));
    // Calls run in token-hash order, so which of a's two stars came first depends on nothing
    // the test controls; one of them flattred, the other found it done.
    expect(answers[3]).toEqual(["status_not_found", null]);
    expect([answers[0], answers[2]].map((x) => (x as string[])[0]).sort()).toEqual([
      "already_flattred",
      "ok",
    ]);
    const counts = [0, 1, 2, 4].map((i) => Number((answers[i] as string[])[1] ?? -1));
    expect(Math.max(...counts)).toBe(3);
    for (const i of [0, 1, 2, 4]) {
      const row = rows[i]!;
      if (row instanceof Error) throw row;
      expect(row.status?.id).toBe(String(id));
      expect(row.status?.username).toBe("star_author");
    }
    const flattrs = await queryRows<{ n: string }>(
      db,
      sql`select count(*)::text as n from flattrs f join statuses s on s.thing_id = f.thing_id
           where s.id = ${id}::int8`,
    );
    expect(flattrs[0]!.n).toBe("3");
    expect(await checkLedger(db)).toEqual([]);
  });

  // A batch stamps its tokens in one set-based UPDATE, not one per star (docs/adr/0031), with
  // the same rule: once per cutoff, whatever the star's outcome once the token is known.
  it("stamps each token of a batch once, and not again within the minute", async () => {
    const id = await postBy("star_author3");
    const [a, b] = [await payerTokenRow("sb_f"), await payerTokenRow("sb_g")];
    const rows = await starMany(db, [
      starCall(a.token, id),
      starCall(b.token, 999n),
      starCall(a.token, id),
    ]);
    expect(rows.map((r) => (r instanceof Error ? r.message : r.outcome)).sort()).toEqual([
      "already_flattred",
      "ok",
      "status_not_found",
    ]);
    expect(await lastUsedAt(a.accessToken.id)).toBe("2026-03-10T12:00:00Z");
    expect(await lastUsedAt(b.accessToken.id)).toBe("2026-03-10T12:00:00Z");
    // Thirty seconds later the stamp is recent enough: nothing is rewritten.
    const later = fixedClock("2026-03-10T12:00:30Z");
    const call = (token: string, status: bigint): StarCall => {
      const { tokenHash, ...c } = flattrCall(
        later,
        config,
        tokenCredential(token, later.now())!,
        0,
      );
      return { ...c, tokenHash: tokenHash!, statusId: status };
    };
    await starMany(db, [call(a.token, 999n), call(b.token, 999n)]);
    expect(await lastUsedAt(a.accessToken.id)).toBe("2026-03-10T12:00:00Z");
  });

  // Waiting for a token row another transaction holds (a stamp, a revocation) could deadlock
  // two batches that share tokens: the batch skips its stamp, the token's next use makes it.
  it.runIf(usingPostgres)(
    "stars without waiting for a token row another transaction holds",
    async () => {
      const id = await postBy("star_author4");
      const [held, free] = [await payerTokenRow("sb_h"), await payerTokenRow("sb_i")];
      let rows: Awaited<ReturnType<typeof starMany>> = [];
      await db.transaction(async (tx) => {
        await tx.execute(
          sql`select 1 from access_tokens where id = ${held.accessToken.id}::int8 for update`,
        );
        rows = await starMany(db, [starCall(held.token, id), starCall(free.token, id)]);
      });
      expect(rows.map((r) => (r instanceof Error ? r.message : r.outcome))).toEqual(["ok", "ok"]);
      expect(await lastUsedAt(held.accessToken.id)).toBeNull();
      expect(await lastUsedAt(free.accessToken.id)).toBe("2026-03-10T12:00:00Z");
    },
  );

  // PL/pgSQL keeps the plans of its first calls: made while flattrs was empty, the star count
  // was a sequential scan that grew with the table (docs/adr/0031). The functions keep their
  // lookups on the indexes, as the flattr functions do.
  it("runs the star's functions with sequential scans off", async () => {
    const rows = await queryRows<{ name: string; config: string | null }>(
      db,
      sql`select proname as name, array_to_string(proconfig, ',') as config from pg_proc
           where proname in ('star_count', 'favourite_request') order by proname`,
    );
    expect(rows).toEqual([
      { name: "favourite_request", config: "enable_seqscan=off" },
      { name: "star_count", config: "enable_seqscan=off" },
    ]);
  });

  it("retries a refused batch star by star: the others keep their answers", async () => {
    const author = await makeUser(db, "star_author2");
    const made = await createPost({ db, clock, config, federation: noFederation }, author, {
      content: "Retry me",
    });
    if (!made.ok) throw made.error;
    const good = await payerToken("sb_d");
    // A lock class beyond int4 makes the whole statement raise before any star is made.
    const broken = { ...starCall(await payerToken("sb_e"), made.value.id), lockClass: 2 ** 40 };
    const rows = await starMany(db, [starCall(good, made.value.id), broken]);
    expect(rows[0]).toMatchObject({ outcome: "ok", stars: "1" });
    expect(rows[1]).toBeInstanceOf(Error);
  });
});
