// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { createToken, type TokenScope } from "../../src/accounts/tokens.ts";
import { openApiDocument } from "../../src/api/openapi.ts";
import { createApp } from "../../src/app.ts";
import type { Clock } from "../../src/config/clock.ts";
import type { Config } from "../../src/config/config.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import type { OpenApiDocument, Schema } from "../../src/http/openapi-types.ts";

export const BASE = "/api/flattr/v1";

/** A client of the API as one token holder (or nobody). */
export class ApiClient {
  constructor(
    readonly fetch: (r: Request) => Promise<Response>,
    readonly origin: string,
    readonly token: string | null,
  ) {}

  request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const h = new Headers(headers);
    if (this.token && !h.has("authorization")) h.set("authorization", `Bearer ${this.token}`);
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      if (!h.has("content-type")) h.set("content-type", "application/json");
    }
    return this.fetch(
      new Request(new URL(BASE + path, this.origin), { method, headers: h, body: payload }),
    );
  }

  get = (path: string, headers?: Record<string, string>) =>
    this.request("GET", path, undefined, headers);
  put = (path: string, body: unknown) => this.request("PUT", path, body);
  post = (path: string, body?: unknown) => this.request("POST", path, body);
  delete = (path: string) => this.request("DELETE", path);
}

export function makeApp(database: Database, config: Config, clock: Clock) {
  const app = createApp({ config, database, clock });
  const as = (token: string | null) => new ApiClient(app.fetch, config.origin.origin, token);
  return { app, as };
}

/** A token for `userId` (created through the accounts module, as the settings page does). */
export async function tokenFor(
  db: Db,
  clock: Clock,
  userId: number,
  scopes: TokenScope[] = ["read", "write"],
): Promise<string> {
  return (await createToken(db, clock, userId, { name: "test", scopes })).token;
}

export async function usernameOf(db: Db, userId: number): Promise<string> {
  const [row] = await queryRows<{ username: string }>(
    db,
    sql`select username from users where id = ${userId}`,
  );
  return row!.username;
}

/*
 * A small JSON Schema checker for the subset src/http/openapi-types.ts allows: every answer the tests see
 * is checked against the published document, so the document cannot drift from the code.
 */
function resolve(doc: OpenApiDocument, s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace("#/components/schemas/", "");
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
  return resolve(doc, target);
}

export function schemaErrors(
  doc: OpenApiDocument,
  schema: Schema,
  value: unknown,
  at = "$",
): string[] {
  const s = resolve(doc, schema);
  const errors: string[] = [];
  if (s.oneOf) {
    const ok = s.oneOf.filter((o) => schemaErrors(doc, o, value, at).length === 0).length;
    if (ok !== 1) errors.push(`${at}: matches ${ok} of oneOf`);
    return errors;
  }
  if (s.anyOf) {
    if (!s.anyOf.some((o) => schemaErrors(doc, o, value, at).length === 0))
      errors.push(`${at}: matches none of anyOf`);
    return errors;
  }
  const typeOf = (v: unknown) =>
    v === null
      ? "null"
      : Array.isArray(v)
        ? "array"
        : Number.isInteger(v)
          ? "integer"
          : typeof v === "number"
            ? "number"
            : typeof v;
  if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(value);
    if (!types.some((x) => x === t || (x === "number" && t === "integer")))
      return [`${at}: expected ${types.join("|")}, got ${t}`];
  }
  if (s.const !== undefined && value !== s.const) errors.push(`${at}: expected ${s.const}`);
  if (s.enum && !s.enum.includes(value)) errors.push(`${at}: ${value} not in enum`);
  if (s.pattern && typeof value === "string" && !new RegExp(s.pattern).test(value))
    errors.push(`${at}: "${value}" does not match ${s.pattern}`);
  if (s.format === "date-time" && typeof value === "string" && Number.isNaN(Date.parse(value)))
    errors.push(`${at}: not a date-time`);
  // RFC 3986: a scheme, then only the characters a URI may hold (no spaces, quotes, controls or
  // non-ASCII; those must be percent-encoded).
  if (
    s.format === "uri" &&
    typeof value === "string" &&
    !/^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/.test(value)
  )
    errors.push(`${at}: "${value}" is not a URI`);
  if (s.minimum !== undefined && typeof value === "number" && value < s.minimum)
    errors.push(`${at}: below ${s.minimum}`);
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) errors.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      const p = s.properties?.[k];
      if (p) errors.push(...schemaErrors(doc, p, v, `${at}.${k}`));
      else if (s.additionalProperties === false) errors.push(`${at}: unexpected ${k}`);
    }
  }
  if (Array.isArray(value) && s.items)
    for (const [i, v] of value.entries())
      errors.push(...schemaErrors(doc, s.items, v, `${at}[${i}]`));
  return errors;
}

/**
 * Checks a response against the document: its status is listed for the operation, and a JSON
 * body matches the listed schema. Returns the parsed body.
 */
export async function expectDocumented(
  config: Config,
  res: Response,
  method: string,
  docPath: string,
): Promise<any> {
  const doc = openApiDocument(config);
  const op = doc.paths[docPath]?.[method.toLowerCase() as "get"];
  expect(op, `${method} ${docPath} documented`).toBeDefined();
  let response = op!.responses[String(res.status)];
  expect(response, `${method} ${docPath} documents ${res.status}`).toBeDefined();
  if (response && "$ref" in response)
    response = doc.components.responses[response.$ref.replace("#/components/responses/", "")];
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) return res.text();
  const body = await res.json();
  const schema = (response as { content?: Record<string, { schema: Schema }> }).content?.[
    "application/json"
  ]?.schema;
  expect(schema, `${method} ${docPath} ${res.status} has a JSON schema`).toBeDefined();
  expect(schemaErrors(doc, schema!, body)).toEqual([]);
  return body;
}
