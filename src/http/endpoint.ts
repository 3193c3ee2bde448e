import type { Context, Hono } from "hono";
import type * as v from "valibot";
import { apiUser, type Scope } from "./bearer.ts";
import type { AppEnv, SessionUser } from "./env.ts";
import { parseInput, queryObject, readJsonObject } from "./input.ts";

/*
 * An endpoint is its OpenAPI description and its handler in one value (ADR 0007): the schemas
 * that check a request's path, query and body are the ones the document publishes
 * (src/http/openapi.ts builds it from a list of endpoints), so the two cannot drift, and a route
 * registered any other way is missing from the document, which test/api/openapi.test.ts catches.
 *
 * Before the handler runs, in this order: the bearer token (`auth`: 401/403), the path (404),
 * the query (400), the body (JSON only: 415/400/422). The handler gets the checked values.
 */

export type Method = "get" | "put" | "post" | "delete" | "patch";

/** An object schema whose fields are the parameters (path or query). */
export type ParamsSchema = v.ObjectSchema<v.ObjectEntries, undefined>;

/** One response of an operation, as the document shows it. */
export interface ResponseSpec {
  description: string;
  /** The JSON body's schema. */
  json?: v.GenericSchema;
  /** Other media types with a JSON Schema of their own (e.g. text/csv: `{ type: "string" }`). */
  other?: Record<string, Record<string, unknown>>;
  /** Header name → the name of a header in the document's components. */
  headers?: Record<string, string>;
}

export interface EndpointSpec<
  A extends Scope | "public" = Scope | "public",
  P extends ParamsSchema | undefined = ParamsSchema | undefined,
  Q extends ParamsSchema | undefined = ParamsSchema | undefined,
  B extends v.GenericSchema | undefined = v.GenericSchema | undefined,
> {
  method: Method;
  /** OpenAPI style, relative to the router: `/things/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The token scope the caller needs, or "public" (no token). */
  auth: A;
  params?: P;
  query?: Q;
  /** A JSON body (required when given). */
  body?: B;
  bodyExample?: unknown;
  /** Status → the response, or the name of a shared one in the document's components. */
  responses: Record<number, ResponseSpec | string>;
}

type Out<S> = S extends v.GenericSchema ? v.InferOutput<S> : undefined;

export interface EndpointInput<A, P, Q, B> {
  user: A extends Scope ? SessionUser : undefined;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

export interface Endpoint {
  readonly spec: EndpointSpec;
  /** Adds the route to `app` (what `mount` calls). */
  readonly register: (app: Hono<AppEnv>) => void;
}

/** Hono's path syntax for an OpenAPI path: `/things/{id}` → `/things/:id`. */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

/**
 * An endpoint whose input is checked before `handler` runs (see above). Most routes are this.
 */
export function endpoint<
  A extends Scope | "public",
  P extends ParamsSchema | undefined = undefined,
  Q extends ParamsSchema | undefined = undefined,
  B extends v.GenericSchema | undefined = undefined,
>(
  spec: EndpointSpec<A, P, Q, B>,
  handler: (c: Context<AppEnv>, input: EndpointInput<A, P, Q, B>) => Promise<Response> | Response,
): Endpoint {
  const { auth, params, query, body } = spec;
  return {
    spec,
    register: (app) =>
      app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c) => {
        const input = {
          user: auth === "public" ? undefined : await apiUser(c, auth),
          params: params ? parseInput(params, c.req.param(), "path") : undefined,
          query: query ? parseInput(query, queryObject(c), "query") : undefined,
          body: body ? parseInput(body, await readJsonObject(c), "body") : undefined,
        } as EndpointInput<A, P, Q, B>;
        return handler(c, input);
      }),
  };
}

/**
 * An endpoint whose handler checks the token and its input itself, for a route whose cost per
 * request was measured to matter (the API flattr, ADR 0005: the token is checked inside the
 * flattr's own statement). It must keep the order above; `pathParams` and friends help.
 */
export function selfCheckingEndpoint(
  spec: EndpointSpec,
  handler: (c: Context<AppEnv>) => Promise<Response>,
): Endpoint {
  return {
    spec,
    register: (app) => app.on(spec.method.toUpperCase(), honoPath(spec.path), handler),
  };
}

/** The path parameters of a request, checked by `schema` (404 otherwise). */
export function pathParams<P extends ParamsSchema>(c: Context, schema: P): v.InferOutput<P> {
  return parseInput(schema, c.req.param(), "path");
}

/** Registers every endpoint on `app`. */
export function mount(app: Hono<AppEnv>, endpoints: readonly Endpoint[]): Hono<AppEnv> {
  for (const e of endpoints) e.register(app);
  return app;
}
