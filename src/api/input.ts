import type { Context } from "hono";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { ApiError } from "../http/errors.ts";
import { parseAmount } from "../money/decimal.ts";
import { isPeriod, type Period } from "../periods/period.ts";

export const MAX_BODY_BYTES = 16 * 1024;

export type JsonObject = Record<string, unknown>;

/** The request body as a JSON object: 415 for other types, 400 for malformed JSON, 422 for non-objects. */
export async function readJson(c: Context): Promise<JsonObject> {
  const type = c.req.header("content-type") ?? "";
  if (!/^\s*application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type))
    throw new ApiError(
      415,
      'Send the body as JSON with "Content-Type: application/json".',
      "unsupported_media_type",
    );
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `Malformed JSON: ${(e as Error).message}`, "malformed_json");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(422, "The body must be a JSON object.", "invalid_request");
  return body as JsonObject;
}

/** A string field; 422 naming the field when it is missing (if required) or not a string. */
export function stringField(body: JsonObject, name: string, required: true): string;
export function stringField(body: JsonObject, name: string, required: false): string | undefined;
export function stringField(body: JsonObject, name: string, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new ApiError(422, `"${name}" is required.`, "invalid_request");
    return undefined;
  }
  if (typeof v !== "string")
    throw new ApiError(422, `"${name}" must be a string.`, "invalid_request");
  return v;
}

/** A decimal amount string ("5.00") in the instance currency, as minor units. */
export function amountField(body: JsonObject, name: string, currency: string): bigint {
  const v = body[name];
  if (typeof v !== "string")
    throw new ApiError(
      422,
      `"${name}" must be a decimal string such as "5.00" (numbers are refused: no floats for money).`,
      v === undefined ? "invalid_request" : "invalid_amount",
    );
  const amount = parseAmount(v, currency);
  if (amount === null)
    throw new ApiError(
      422,
      `"${name}": "${v.slice(0, 40)}" is not an amount in ${currency} (e.g. "5.00").`,
      "invalid_amount",
    );
  return amount;
}

/** ?period=YYYY-MM, defaulting to the current period. */
export function periodQuery(c: Context, clock: Clock, config: Config): Period {
  const raw = c.req.query("period");
  if (raw === undefined || raw === "") return currentPeriod(clock, config);
  if (!isPeriod(raw))
    throw new ApiError(
      400,
      `"period" must look like YYYY-MM (e.g. 2026-03), not "${raw.slice(0, 40)}".`,
      "invalid_period",
    );
  return raw;
}

/** A positive integer path parameter; anything else names no resource (404). */
export function idParam(c: Context, name: string, what: string): number {
  const id = wellFormedId(c.req.param(name));
  if (id === null)
    throw new ApiError(404, `No such ${what}: ids are positive whole numbers.`, "not_found");
  return id;
}

/** A path id as a number, or null unless it is a positive whole number (a safe integer). */
export function wellFormedId(raw: string | undefined): number | null {
  if (!raw || !/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) return null;
  return Number(raw);
}
