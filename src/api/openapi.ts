import type { Config } from "../config/config.ts";
import { type Endpoint, endpoint } from "../http/endpoint.ts";
import { buildDocument } from "../http/openapi.ts";
import type { OpenApiDocument } from "../http/openapi-types.ts";
import { apiBaseUrl } from "../http/urls.ts";
import { ERROR_RESPONSES, HEADERS } from "./responses.ts";
import { followEndpoints } from "./routes-follows.ts";
import { meEndpoints } from "./routes-me.ts";
import { payoutEndpoints } from "./routes-payouts.ts";
import { postEndpoints } from "./routes-posts.ts";
import { reportEndpoints } from "./routes-reports.ts";
import { resolveEndpoints } from "./routes-resolve.ts";
import { thingEndpoints } from "./routes-things.ts";
import { COMPONENTS } from "./schemas.ts";
import { PAYOUT_COMPONENTS } from "./schemas-payouts.ts";

/*
 * The API's OpenAPI 3.1 document, served at /api/flattr/v1/openapi.json, generated from the
 * endpoints' schemas (src/http/endpoint.ts, ADR 0007). What is written here by hand is only what
 * no schema says: the title, the tags, the shared error responses and the security scheme.
 * test/api/openapi.test.ts checks that it lists exactly the routes the router has.
 */

const openApiEndpoint = endpoint(
  {
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApi",
    summary: "This OpenAPI document",
    tags: ["meta"],
    auth: "public",
    // Any object: describing the document would be this file again.
    responses: {
      200: { description: "The document.", other: { "application/json": { type: "object" } } },
    },
  },
  (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(openApiDocument(c.var.deps.config));
  },
);
/** Every endpoint of the API, in the order the document lists them. */
export const API_ENDPOINTS: readonly Endpoint[] = [
  openApiEndpoint,
  ...meEndpoints,
  ...reportEndpoints,
  ...resolveEndpoints,
  ...thingEndpoints,
  ...postEndpoints,
  ...payoutEndpoints,
  ...followEndpoints,
];

const documents = new WeakMap<Config, OpenApiDocument>();

export function openApiDocument(config: Config): OpenApiDocument {
  const known = documents.get(config);
  if (known) return known;
  const doc = buildDocument(
    {
      info: {
        title: "Fediflattr REST API",
        version: "1.0.0",
        description:
          "Flattr for the fediverse: your wallet, budget, things, flattrs, earnings and statements. " +
          "Authenticate with a personal access token (`Authorization: Bearer …`, created at " +
          "/settings/tokens or with `fediflattr token create`); cookies are never accepted, and " +
          "any origin may call the API (CORS, no credentials). Amounts are decimal strings in the " +
          `\`currency\` of the same object (${config.currency} on this instance); errors are ` +
          '`{"error": "…", "code": "…"}`.',
        license: { name: "AGPL-3.0-only", identifier: "AGPL-3.0-only" },
      },
      servers: [{ url: apiBaseUrl(config) }],
      tags: [
        { name: "me", description: "The token's user." },
        { name: "things", description: "Things and flattrs." },
        { name: "reports", description: "Values, earnings, statements." },
        { name: "payouts", description: "Payouts of earnings and wallet withdrawals." },
        { name: "posts", description: "Your posts: each is a Note to your followers and a thing." },
        { name: "follows", description: "Whom you follow, here and on other servers." },
        { name: "meta", description: "This document." },
      ],
      schemas: { ...COMPONENTS, ...PAYOUT_COMPONENTS },
      responses: ERROR_RESPONSES,
      headers: HEADERS,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "ffpat_…",
          description: "A personal access token with the scopes read and/or write.",
        },
      },
      auth: { scheme: "bearer", responses: { 401: "Unauthorized", 403: "Forbidden" } },
    },
    API_ENDPOINTS,
  );
  documents.set(config, doc);
  return doc;
}
