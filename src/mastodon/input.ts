import type { Context } from "hono";
import * as v from "valibot";
import { MastodonError } from "./errors.ts";

/*
 * Request parameters, read as leniently as Mastodon (Rails) reads them, because apps differ: the
 * query string and the body are merged (body wins), and the body may be JSON, a urlencoded or
 * multipart form, or come without a Content-Type at all. Form keys `a[]` and repeated keys are
 * arrays. Values are then checked with valibot schemas built from the helpers below, which
 * accept what Rails would coerce (booleans as true/"true"/"1"/"on", numbers as strings).
 */

export type Params = Record<string, unknown>;

const cache = new WeakMap<Request, Promise<Params>>();

/** The merged parameters of the request, read once. */
export function readParams(c: Context): Promise<Params> {
  let p = cache.get(c.req.raw);
  if (!p) {
    p = merge(c);
    cache.set(c.req.raw, p);
  }
  return p;
}

function add(out: Params, rawKey: string, value: unknown): void {
  const isList = rawKey.endsWith("[]");
  const key = isList ? rawKey.slice(0, -2) : rawKey;
  if (key === "" || key === "__proto__") return;
  const prev = Object.hasOwn(out, key) ? out[key] : undefined;
  if (isList || prev !== undefined) {
    const list = Array.isArray(prev) ? prev : prev === undefined ? [] : [prev];
    out[key] = [...list, value];
  } else out[key] = value;
}

function fromSearchParams(sp: URLSearchParams): Params {
  const out: Params = Object.create(null);
  for (const [k, val] of sp) add(out, k, val);
  return out;
}

async function bodyParams(c: Context): Promise<Params> {
  if (c.req.method === "GET" || c.req.method === "HEAD") return {};
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await c.req.raw.clone().formData();
    } catch {
      throw new MastodonError(400, "The form data could not be read.");
    }
    const out: Params = Object.create(null);
    for (const [k, val] of form) if (typeof val === "string") add(out, k, val);
    return out;
  }
  const text = await c.req.text();
  if (text.trim() === "") return {};
  if (type.includes("json") || (!type.includes("urlencoded") && /^\s*[{[]/.test(text))) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new MastodonError(400, `Malformed JSON body: ${(e as Error).message}`);
    }
    if (json === null || typeof json !== "object" || Array.isArray(json))
      throw new MastodonError(422, "The JSON body must be an object.");
    const out: Params = Object.create(null);
    for (const [k, val] of Object.entries(json)) add(out, k, val);
    return out;
  }
  // urlencoded, or no Content-Type at all: read it as a form.
  return fromSearchParams(new URLSearchParams(text));
}

async function merge(c: Context): Promise<Params> {
  const query = fromSearchParams(new URL(c.req.url).searchParams);
  const body = await bodyParams(c);
  return Object.assign(Object.create(null), query, body);
}

/**
 * A nested parameter such as `source[privacy]`: a form sends the key as written, a JSON body an
 * object under `source`. Absent is undefined.
 */
export function nestedParam(params: Params, outer: string, inner: string): unknown {
  const flat = params[`${outer}[${inner}]`];
  if (flat !== undefined) return flat;
  const obj = params[outer];
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  return Object.hasOwn(obj, inner) ? (obj as Record<string, unknown>)[inner] : undefined;
}

/* Lenient scalar readers, for schemas. */

const first = (x: unknown) => (Array.isArray(x) ? x[0] : x);

/** A string (a number is its decimal form; the first of a list); anything else is absent. */
export function asString(x: unknown): string | undefined {
  const f = first(x);
  if (typeof f === "string") return f;
  if (typeof f === "number" && Number.isFinite(f)) return String(f);
  if (typeof f === "boolean") return String(f);
  return undefined;
}

/** Rails' boolean: true, "true", "1", 1, "on", "yes" (any case) are true; absent is undefined. */
export function asBoolean(x: unknown): boolean | undefined {
  const f = first(x);
  if (f === undefined || f === null || f === "") return undefined;
  if (typeof f === "boolean") return f;
  return ["true", "1", "on", "yes", "t"].includes(String(f).trim().toLowerCase());
}

/** A list of strings from `a[]=x&a[]=y`, repeated keys, a JSON array, or one value. */
export function asStringList(x: unknown): string[] | undefined {
  if (x === undefined || x === null) return undefined;
  const list = Array.isArray(x) ? x : [x];
  return list.map(asString).filter((s): s is string => s !== undefined);
}

/** valibot pieces built on the readers; every one may be absent (then undefined). */
export const lenient = {
  string: () => v.optional(v.pipe(v.unknown(), v.transform(asString))),
  boolean: () => v.optional(v.pipe(v.unknown(), v.transform(asBoolean))),
  stringList: () => v.optional(v.pipe(v.unknown(), v.transform(asStringList))),
  /** A string or a list of strings, kept as given (`redirect_uris`). */
  stringOrList: () =>
    v.optional(
      v.pipe(
        v.unknown(),
        v.transform((x): string | string[] | undefined =>
          Array.isArray(x) ? asStringList(x) : asString(x),
        ),
      ),
    ),
};

/** The parameters checked by `schema`; a refusal is a 422 naming the field, as Mastodon's. */
export async function parseParams<S extends v.GenericSchema<Params>>(
  c: Context,
  schema: S,
): Promise<v.InferOutput<S>> {
  const result = v.safeParse(schema, await readParams(c));
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join(".") ?? "request";
  throw new MastodonError(422, `Validation failed: ${path} ${issue.message}`);
}
