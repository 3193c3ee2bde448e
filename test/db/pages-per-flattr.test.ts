// What people are shown is what gets paid: for the same state, the button's confirmation ("each
// would get about X"), its result page, the "this month" page (headline and row), the thing page
// and the API show one figure for a new flattr, and the close pays exactly that to its creator.

import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createToken } from "../../src/accounts/tokens.ts";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { balanceOf, checkLedger, earningsAccount } from "../../src/ledger/index.ts";
import { formatMoney } from "../../src/money/format.ts";
import { periodBounds } from "../../src/periods/period.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit } from "../helpers/flattr.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

/** The one match group of `re` in `text`, failing with the text when it is not there. */
function figure(text: string, re: RegExp): RegExpExecArray {
  const m = re.exec(text);
  expect(m, `${re} in: ${text.slice(0, 600)}`).not.toBeNull();
  return m!;
}

let run = 0;

it("every page shows the same per-flattr figure, and the close pays it", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 20_000 }), // budget, minor units
      fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30_000 })), // wallet
      fc.integer({ min: 0, max: 6 }), // flattrs before the new one
      fc.oneof(fc.constantFrom(0, 1000, 250), fc.integer({ min: 0, max: 10_000 })),
      async (budget, balance, before, feeBp) => {
        // Each run in its own month, so each close settles only this run's payer.
        const i = run++;
        const period = `${2030 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
        const config = testConfig({
          FEE_BP: String(feeBp),
          MIN_BUDGET: "0.01",
          MAX_BUDGET: "200.00",
          FLATTR_RATE_LIMIT: "1000/1",
        });
        const { start, end } = periodBounds(period, config.timeZone);
        const clock = fixedClock(new Date(start.getTime() + 86_400_000));
        const m = moneyApp(config, database, clock);
        const others = await m.user();
        const creator = await m.user(); // owns only the new thing: their earnings are its share
        const payer = await m.user();
        await setBudget(database.db, clock, config, payer, BigInt(budget));
        if (balance > 0) await deposit(database.db, config, payer, BigInt(balance));
        for (let k = 0; k < before; k++) {
          const { thing } = await registerThing(database.db, clock, config, others, {
            url: `https://others.example/${i}/${k}`,
            title: `Other ${k}`,
          });
          await flattr(database.db, clock, config, payer, thing.id);
        }
        const { thing } = await registerThing(database.db, clock, config, creator, {
          url: `https://creator.example/${i}`,
          title: "The new one",
        });
        const c = await m.as(payer);
        const path = `/things/${thing.id}/flattr`;

        // Before: the confirmation tells what each flattr, this one included, would get.
        const confirm = textOf(await (await c.get(path)).text());
        const [, about, shown] = figure(
          confirm,
          /each would get (about )?(€[\d.,]+) if the month ended now/,
        );
        const confirmed = await c.submit(path, `${path}?confirm`, {});
        expect(confirmed.status).toBe(303);

        // After: the result page, the month's headline and row, the thing page.
        const [, result] = figure(
          textOf(await (await c.get(path)).text()),
          /this flattr would get (€[\d.,]+) of your budget/,
        );
        const flattrsHtml = await (await c.get("/flattrs")).text();
        const [, aboutAfter, headline] = figure(textOf(flattrsHtml), /= (about )?(€[\d.,]+) each/);
        const [, row] = figure(
          flattrsHtml,
          new RegExp(`<tr data-thing-id="${thing.id}">[\\s\\S]*?data-amount="([\\d.]+)"`),
        );
        const [, thingPage] = figure(
          textOf(await (await c.get(`/things/${thing.id}`)).text()),
          /Right now it would get (€[\d.,]+) of your budget/,
        );
        const { token } = await createToken(database.db, clock, payer, {
          name: "t",
          scopes: ["read"],
        });
        const api = (await (
          await m.app.fetch(
            new Request(new URL("/api/flattr/v1/me/flattrs", config.origin), {
              headers: { authorization: `Bearer ${token}` },
            }),
          )
        ).json()) as { flattrs: { thing: { id: number }; value: string }[] };
        const value = api.flattrs.find((f) => f.thing.id === thing.id)?.value;
        expect([result, headline, `€${row}`, thingPage, `€${value}`]).toEqual(Array(5).fill(shown));
        expect(aboutAfter).toBe(about);

        // The close pays the new flattr exactly the figure shown.
        clock.set(new Date(end.getTime() + 3_600_000));
        await closePeriod(database.db, clock, config, period);
        const paid = await balanceOf(database.db, earningsAccount(creator), config.currency);
        expect(formatMoney(paid, config.currency)).toBe(shown);
        const later = await m.as(payer); // a month on: a fresh session
        const final = textOf(await (await later.get(`/flattrs?period=${period}`)).text());
        expect(figure(final, /= (?:about )?(€[\d.,]+) each/)[1]).toBe(shown);
        expect(await checkLedger(database.db)).toEqual([]);
      },
    ),
    { numRuns: 12 },
  );
});
