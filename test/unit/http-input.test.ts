import fc from "fast-check";
import { Hono } from "hono";
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
import {
  type InputPlace,
  lenient,
  parseInput,
  readLenientBody,
  refusal,
} from "../../src/http/input.ts";

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

describe("lenient input (for clients that send forms or nothing)", () => {
  const app = new Hono();
  app.onError((e, c) =>
    e instanceof ApiError ? c.json({ code: e.code }, e.status) : c.text(String(e), 500),
  );
  app.post("/", async (c) => c.json(await readLenientBody(c)));
  const post = async (body: BodyInit | undefined, type?: string) => {
    const res = await app.request("/", {
      method: "POST",
      body,
      headers: type ? { "content-type": type } : {},
    });
    return [res.status, await res.json()];
  };

  it("reads JSON, forms, multipart and no body into one object", async () => {
    expect(await post('{"a":1}', "application/json")).toEqual([200, { a: 1 }]);
    expect(await post("", "application/json")).toEqual([200, {}]);
    expect(
      await post("a=1&b%5B%5D=x&b%5B%5D=y&c%5B%5D=z", "application/x-www-form-urlencoded"),
    ).toEqual([200, { a: "1", b: ["x", "y"], c: ["z"] }]);
    const form = new FormData();
    form.set("a", "1");
    expect(await post(form)).toEqual([200, { a: "1" }]);
    expect(await post(undefined)).toEqual([200, {}]);
    expect(await post("[1]", "application/json")).toEqual([422, { code: "invalid_request" }]);
    expect(await post("{", "application/json")).toEqual([400, { code: "malformed_json" }]);
    expect(await post("a", "text/plain")).toEqual([415, { code: "unsupported_media_type" }]);
  });

  it("takes booleans and counts as JSON or as text", () => {
    const S = v.object({ on: lenient.boolean(), limit: lenient.count() });
    expect(parseInput(S, { on: "true", limit: "20" }, "query")).toEqual({ on: true, limit: 20 });
    expect(parseInput(S, { on: false, limit: 3 }, "body")).toEqual({ on: false, limit: 3 });
    expect(parseInput(S, { on: "on", limit: "0" }, "body")).toEqual({ on: true, limit: 0 });
    expect(refusedWith(S, { on: "yes", limit: "1" })).toEqual([422, "invalid_request"]);
    expect(refusedWith(S, { on: "1", limit: "-1" })).toEqual([422, "invalid_request"]);
    expect(refusedWith(S, { on: "1", limit: 1.5 })).toEqual([422, "invalid_request"]);
  });
});
