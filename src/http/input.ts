import type { Context } from "hono";
import * as v from "valibot";
import { ApiError, type ApiErrorCode } from "./errors.ts";

/*
 * Request input checked by valibot schemas (ADR 0007), for every HTTP surface: a body, a query or
 * path parameters go through `parseInput`, and a schema's refusal becomes our error shape
 * (`{"error", "code"}`) with a message that names the field. Which status a failure gets depends
 * on where the input was: a body 422, a query 400, a path 404 (a malformed id names no resource).
 */

export type InputPlace = "body" | "query" | "path";

/** How a field's refusal is worded and coded; attach with `refusal(schema, …)`. */
export interface FieldRefusal {
  /** The code when the field is present but wrong (default `invalid_request`; a missing field is always `invalid_request`). */
  code?: ApiErrorCode;
  /** Completes `"name" must be …` (default: from the schema, e.g. "a string"). */
  mustBe?: string;
  /** The whole message instead (path parameters: "No such thing: …"). */
  message?: string;
}

// Kept beside the schemas rather than in their metadata: valibot's JSON Schema conversion copies
// metadata into the published document, and error wording is not part of the schema.
const refusals = new WeakMap<object, FieldRefusal>();

/** `schema`, whose refusals are worded and coded as `how` says. */
export function refusal<S extends v.GenericSchema>(schema: S, how: FieldRefusal): S {
  refusals.set(schema, how);
  return schema;
}

/** The schema of the field at `path` inside `schema` (objects, optional/nullable wrappers, arrays). */
function fieldSchema(schema: unknown, path: readonly PropertyKey[]): unknown {
  let s = schema as Record<string, unknown> | undefined;
  for (const key of path) {
    while (s && "wrapped" in s) s = s.wrapped as Record<string, unknown>;
    if (s && "entries" in s) s = (s.entries as Record<PropertyKey, Record<string, unknown>>)[key];
    else if (s && "item" in s) s = s.item as Record<string, unknown>;
    else return undefined;
  }
  return s;
}

function refusalOf(schema: unknown, path: readonly PropertyKey[]): FieldRefusal {
  let s = fieldSchema(schema, path) as Record<string, unknown> | undefined;
  while (s) {
    const how = refusals.get(s);
    if (how) return how;
    // A wrapper (optional, nullable) or a pipe around a schema that has a refusal: that one's.
    const inner = "wrapped" in s ? s.wrapped : Array.isArray(s.pipe) ? s.pipe[0] : undefined;
    s = inner !== s ? (inner as Record<string, unknown> | undefined) : undefined;
  }
  return {};
}

/** "a string", "a number", "null", … for messages. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `"${value.slice(0, 40)}"`;
  if (typeof value === "object") return "an object";
  if (typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
}

/** What valibot expected, in words: `"json" | "csv"` → `"json" or "csv"`, string → a string. */
function expectedWords(issue: v.BaseIssue<unknown>): string {
  const expected = issue.expected ?? "";
  if (issue.kind === "schema" && /^[A-Za-z]+$/.test(expected))
    return `${/^[aeiou]/i.test(expected) ? "an" : "a"} ${expected.toLowerCase()}`;
  return expected.replace(/^\((.*)\)$/, "$1").replaceAll(" | ", " or ");
}

/** Our error for the first issue of a failed parse. */
export function inputError(
  schema: v.GenericSchema,
  issues: readonly v.BaseIssue<unknown>[],
  place: InputPlace,
): ApiError {
  const issue = issues[0]!;
  const path = (issue.path ?? []).map((p) => p.key as PropertyKey);
  const dotted = path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : i ? `.${String(k)}` : String(k)))
    .join("");
  const name = dotted ? `"${dotted}"` : `The ${place}`;
  const how = refusalOf(schema, path);
  const missing =
    issue.kind === "schema" && issue.type === "object" && issue.received === "undefined";
  if (place === "path") return new ApiError(404, how.message ?? "Not found.", "not_found");
  const status = place === "body" ? 422 : 400;
  if (missing)
    return new ApiError(status, how.message ?? `${name} is required.`, "invalid_request");
  const message =
    how.message ??
    `${name} must be ${how.mustBe ?? expectedWords(issue)}, not ${describe(issue.input)}.`;
  return new ApiError(status, message, how.code ?? "invalid_request");
}

/** `value` checked by `schema`, or the ApiError that answers its first problem. */
export function parseInput<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  place: InputPlace,
): v.InferOutput<S> {
  const r = v.safeParse(schema, value, { abortEarly: true });
  if (!r.success) throw inputError(schema, r.issues, place);
  return r.output;
}

/** A query's parameters, an empty one (`?period=`) counting as absent. */
export function queryObject(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(c.req.query())) if (val !== "") out[k] = val;
  return out;
}

const JSON_TYPE = /^\s*application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/** The request body as a JSON object: 415 for other types, 400 for malformed JSON, 422 for non-objects. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  if (!JSON_TYPE.test(c.req.header("content-type") ?? ""))
    throw new ApiError(
      415,
      'Send the body as JSON with "Content-Type: application/json".',
      "unsupported_media_type",
    );
  return jsonObject(await c.req.text());
}

function jsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `Malformed JSON: ${(e as Error).message}`, "malformed_json");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(422, "The body must be a JSON object.", "invalid_request");
  return body as Record<string, unknown>;
}
