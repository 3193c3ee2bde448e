// flattr()/unflattr() run their rules in the database (flattr_thing / unflattr_thing) and map the
// outcome codes back to FlattrErrors. Every refusal must keep the code, status (through the HTTP
// table, src/http/error-status.ts) and message it had when the rules ran in TypeScript (clients
// and people read them), and must write nothing.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { FlattrError } from "../../src/flattr/errors.ts";
import { flattr, unflattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { errorStatus } from "../../src/http/error-status.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";

let database: Database;
let db: Db;
const config = testConfig({
  TIME_ZONE: "Europe/Berlin",
  CURRENCY: "EUR",
  FLATTR_RATE_LIMIT: "3/60",
  MAX_FLATTRS_PER_PERIOD: "4",
});

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

async function rowCount(): Promise<string> {
  const [r] = await queryRows<{ n: string; w: string }>(
    db,
    sql`select count(*)::text as n, count(withdrawn_at)::text as w from flattrs`,
  );
  return `${r!.n}/${r!.w}`;
}

/** Refused with exactly this code, status and message, and nothing written. */
async function refusedWith(
  p: () => Promise<unknown>,
  code: string,
  status: number,
  message: string,
): Promise<void> {
  const before = await rowCount();
  const e = await p().then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FlattrError);
  expect({ code: (e as FlattrError).code, status: errorStatus((e as FlattrError).code) }).toEqual({
    code,
    status,
  });
  expect((e as FlattrError).message).toBe(message);
  expect(await rowCount()).toBe(before);
}

async function page(owner: number, n: string): Promise<number> {
  const { thing } = await registerThing(db, fixedClock("2026-05-01T00:00:00Z"), config, owner, {
    url: `https://outcomes.example/${n}`,
    title: n,
  });
  return thing.id;
}

it("maps every refusal of flattr_thing to the code and message of before", async () => {
  const clock = fixedClock("2026-05-10T12:00:00Z");
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  const things: number[] = [];
  for (let i = 0; i < 8; i++) things.push(await page(owner, `t${i}`));

  for (const id of [987654321, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1])
    await refusedWith(
      () => flattr(db, clock, config, payer, id),
      "thing_not_found",
      404,
      "No such thing.",
    );
  await refusedWith(
    () => flattr(db, clock, config, owner, things[0]!),
    "own_thing",
    422,
    "You cannot flattr your own thing.",
  );
  const noBudget =
    "Set a monthly budget before you flattr: your flattrs share it at the end of the month.";
  await refusedWith(() => flattr(db, clock, config, payer, things[0]!), "no_budget", 422, noBudget);
  // A budget in another currency (the instance changed CURRENCY) is no budget here either.
  await setBudget(db, clock, testConfig({ CURRENCY: "USD" }), payer, 500n);
  await refusedWith(() => flattr(db, clock, config, payer, things[0]!), "no_budget", 422, noBudget);
  await setBudget(db, clock, config, payer, 500n);

  const f = await flattr(db, clock, config, payer, things[0]!);
  expect(f).toMatchObject({ thingId: things[0], payerId: payer, period: "2026-05" });
  expect(f.createdAt.toISOString()).toBe("2026-05-10T12:00:00.000Z");
  await refusedWith(
    () => flattr(db, clock, config, payer, things[0]!),
    "already_flattred",
    422,
    "You have already flattred this thing in 2026-05; one flattr per thing per month.",
  );
  await flattr(db, clock, config, payer, things[1]!);
  await flattr(db, clock, config, payer, things[2]!);
  await refusedWith(
    () => flattr(db, clock, config, payer, things[3]!),
    "rate_limited",
    429,
    "You flattred 3 times in the last 60 seconds; please wait a moment and try again.",
  );
  clock.advance(61_000);
  await flattr(db, clock, config, payer, things[3]!);
  clock.advance(61_000);
  await refusedWith(
    () => flattr(db, clock, config, payer, things[4]!),
    "period_limit",
    422,
    "You have reached the limit of 4 flattrs in 2026-05.",
  );
});

it("maps every refusal of unflattr_thing to the code and message of before", async () => {
  const clock = fixedClock("2026-05-20T12:00:00Z");
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  const thing = await page(owner, "u");
  await setBudget(db, clock, config, payer, 500n);
  for (const id of [987654321, 0])
    await refusedWith(
      () => unflattr(db, clock, config, payer, id),
      "thing_not_found",
      404,
      "No such thing.",
    );
  await refusedWith(
    () => unflattr(db, clock, config, payer, thing),
    "not_flattred",
    422,
    "You have not flattred this thing in 2026-05.",
  );
  const f = await flattr(db, clock, config, payer, thing);
  const w = await unflattr(db, clock, config, payer, thing);
  expect(w).toEqual(f);
});

it("refuses both into a period being closed and a closed one, with the two messages of before", async () => {
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  const thing = await page(owner, "sealed");
  const clock = fixedClock("2026-05-25T12:00:00Z");
  await setBudget(db, clock, config, payer, 500n);
  // Sealed periods, as the close leaves them: closed_at null while its batches run.
  await db.execute(
    sql`insert into closed_periods (period, started_at, closed_at) values
          ('2026-01', now(), null), ('2026-02', now(), now())`,
  );
  const cases = [
    [
      "2026-01-15T12:00:00Z",
      "The period 2026-01 is being closed right now; flattrs for it can no longer be changed.",
    ],
    [
      "2026-02-15T12:00:00Z",
      "The period 2026-02 is closed and has been paid out; flattrs for it can no longer be changed.",
    ],
  ] as const;
  for (const [at, message] of cases) {
    const c = fixedClock(at);
    await refusedWith(() => flattr(db, c, config, payer, thing), "period_closed", 422, message);
    await refusedWith(() => unflattr(db, c, config, payer, thing), "period_closed", 422, message);
  }
  // The thing is checked first, the seal second (as before): an unknown thing is still a 404.
  await refusedWith(
    () => flattr(db, fixedClock(cases[0][0]), config, payer, 987654321),
    "thing_not_found",
    404,
    "No such thing.",
  );
  // And own thing before the seal.
  await refusedWith(
    () => flattr(db, fixedClock(cases[0][0]), config, owner, thing),
    "own_thing",
    422,
    "You cannot flattr your own thing.",
  );
});

it("runs inside a caller's transaction: a refusal there writes nothing, a flattr commits with it", async () => {
  const clock = fixedClock("2026-05-26T12:00:00Z");
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  await setBudget(db, clock, config, payer, 500n);
  const id = await db.transaction(async (tx) => {
    const { thing } = await registerThing(tx, clock, config, owner, {
      url: "https://outcomes.example/in-tx",
      title: "in tx",
    });
    const f = await flattr(tx, clock, config, payer, thing.id);
    // The caller's own later statements still run: nothing aborted the transaction.
    await expect(flattr(tx, clock, config, payer, thing.id)).rejects.toMatchObject({
      code: "already_flattred",
    });
    return f.id;
  });
  const [row] = await queryRows<{ n: string }>(
    db,
    sql`select count(*)::text as n from flattrs where id = ${id} and withdrawn_at is null`,
  );
  expect(row!.n).toBe("1");
});

it("refuses to run outside READ COMMITTED (ADR 0002: the seal check needs a fresh snapshot)", async () => {
  const clock = fixedClock("2026-05-27T12:00:00Z");
  const owner = await makeUser(db);
  const payer = await makeUser(db);
  const thing = await page(owner, "isolation");
  await setBudget(db, clock, config, payer, 500n);
  // drizzle wraps the database's error; its cause is what PostgreSQL said.
  const why = (p: Promise<unknown>) =>
    p.then(
      () => "ran",
      (e: unknown) => String((e as { cause?: Error }).cause?.message ?? (e as Error).message),
    );
  for (const isolationLevel of ["repeatable read", "serializable"] as const) {
    const before = await rowCount();
    expect(
      await why(
        db.transaction((tx) => flattr(tx, clock, config, payer, thing), { isolationLevel }),
      ),
    ).toMatch(/must run in READ COMMITTED/);
    expect(
      await why(
        db.transaction((tx) => unflattr(tx, clock, config, payer, thing), { isolationLevel }),
      ),
    ).toMatch(/must run in READ COMMITTED/);
    expect(await rowCount()).toBe(before);
  }
});
