import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  BudgetInput,
  PeriodQuery,
  StatementQuery,
  ThingInput,
  ThingPath,
} from "../../src/api/schemas.ts";
import { ApiError } from "../../src/http/errors.ts";
import { type InputPlace, parseInput, refusal } from "../../src/http/input.ts";

/** The error `parseInput` throws, as `[status, code, message]`, or the parsed value. */
function attempt(schema: v.GenericSchema, value: unknown, place: InputPlace = "body") {
  try {
    return { ok: parseInput(schema, value, place) };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return [e.status, e.code, e.message] as const;
  }
}

/** `[status, code]` of the refusal (the message aside), or "accepted". */
function refusedWith(schema: v.GenericSchema, value: unknown, place: InputPlace = "body") {
  const r = attempt(schema, value, place);
  return "ok" in r ? "accepted" : [r[0], r[1]];
}

describe("schema failures become our errors", () => {
  it("names the field, codes it, and answers by where the input was", () => {
    expect(attempt(BudgetInput, {})).toEqual([422, "invalid_request", '"amount" is required.']);
    expect(attempt(BudgetInput, { amount: 5 })).toEqual([
      422,
      "invalid_amount",
      '"amount" must be a decimal string such as "5.00" (no floats for money), not a number.',
    ]);
    expect(refusedWith(BudgetInput, { amount: "five" })).toEqual([422, "invalid_amount"]);
    expect(attempt(ThingInput, { url: 42, title: "x" })).toEqual([
      422,
      "invalid_request",
      '"url" must be a string, not a number.',
    ]);
    expect(attempt(ThingInput, { url: "u", title: "t", description: null })).toEqual({
      ok: { url: "u", title: "t", description: null },
    });
    expect(attempt(StatementQuery, { period: "2026-13" }, "query")).toEqual([
      400,
      "invalid_period",
      '"period" must be a month like 2026-03 (YYYY-MM), not "2026-13".',
    ]);
    // The year 0000 matches the published pattern but is no period.
    expect(refusedWith(PeriodQuery, { period: "0000-01" }, "query")).toEqual([
      400,
      "invalid_period",
    ]);
    expect(attempt(StatementQuery, { format: "xml" }, "query")).toEqual([
      400,
      "invalid_request",
      '"format" must be "json" or "csv", not "xml".',
    ]);
    expect(attempt(ThingPath, { id: "1e3" }, "path")).toEqual([
      404,
      "not_found",
      "No such thing: ids are positive whole numbers.",
    ]);
    expect(refusedWith(ThingPath, { id: "9007199254740993" }, "path")).toEqual([404, "not_found"]);
    expect(attempt(ThingPath, { id: "42" }, "path")).toEqual({ ok: { id: 42 } });
  });

  it("names nested fields by their path and finds refusals through wrappers and pipes", () => {
    const Line = v.object({ amount: refusal(v.string(), { code: "invalid_amount" }) });
    const Summary = v.object({ lines: v.array(v.pipe(Line, v.description("A line."))) });
    expect(attempt(Summary, { lines: [{ amount: "1" }, { amount: 2 }] })).toEqual([
      422,
      "invalid_amount",
      '"lines[1].amount" must be a string, not a number.',
    ]);
    expect(attempt(Summary, { lines: [{}] })).toEqual([
      422,
      "invalid_request",
      '"lines[0].amount" is required.',
    ]);
  });

  it("words a problem with the whole input without a field name", () => {
    expect(attempt(v.array(v.string()), "x")).toEqual([
      422,
      "invalid_request",
      'The body must be an array, not "x".',
    ]);
  });

  it("answers any JSON with the value or a 4xx ApiError, never anything else", () => {
    const schemas = [BudgetInput, ThingInput, StatementQuery, PeriodQuery, ThingPath];
    fc.assert(
      fc.property(
        fc.constantFrom(...schemas),
        fc.constantFrom<InputPlace>("body", "query", "path"),
        fc.dictionary(
          fc.constantFrom("amount", "url", "title", "period", "format", "id"),
          fc.jsonValue(),
        ),
        (schema, place, value) => {
          const r = attempt(schema, value, place);
          if ("ok" in r) return;
          expect(r[0]).toBeGreaterThanOrEqual(400);
          expect(r[0]).toBeLessThan(500);
          expect(r[2].length).toBeGreaterThan(0);
        },
      ),
    );
  });
});
