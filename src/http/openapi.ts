import { type ConversionConfig, toJsonSchema, toJsonSchemaDefs } from "@valibot/to-json-schema";
import type * as v from "valibot";
import type { Endpoint, EndpointSpec, ParamsSchema, ResponseSpec } from "./endpoint.ts";
import type {
  Header,
  OpenApiDocument,
  Operation,
  Parameter,
  PathItem,
  Ref,
  Response,
  Schema,
} from "./openapi-types.ts";

/*
 * An OpenAPI 3.1 document built from endpoints (src/http/endpoint.ts) and named schemas: every
 * schema is converted by @valibot/to-json-schema (JSON Schema 2020-12, what OpenAPI 3.1 uses), and
 * a schema that is one of `schemas` becomes a `$ref` to `#/components/schemas/<name>`.
 */

export interface DocumentParts {
  info: OpenApiDocument["info"];
  servers: OpenApiDocument["servers"];
  tags: NonNullable<OpenApiDocument["tags"]>;
  /** Named schemas: components, referenced wherever they are used. */
  schemas: Record<string, v.GenericSchema>;
  /** Shared responses (errors), referenced by name from `EndpointSpec.responses`. */
  responses: Record<string, Response>;
  headers: Record<string, Header>;
  securitySchemes: OpenApiDocument["components"]["securitySchemes"];
  /** The security scheme a scoped endpoint needs, and the responses it adds (401/403). */
  auth: { scheme: string; responses: Record<number, string> };
}

const CONVERSION: ConversionConfig = {
  target: "draft-2020-12",
  // Inputs are described as sent (a path id is a string of digits before it becomes a number).
  typeMode: "input",
  // Checks JSON Schema cannot say (e.g. a period's year 0000) are enforced, not published.
  errorMode: "ignore",
};

/** `#/$defs/X` (the converter's) → `#/components/schemas/X`, without `$schema`/`$defs`. */
function toComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toComponentRefs);
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(value)) {
    if (k === "$schema" || k === "$defs") continue;
    out[k] =
      k === "$ref" && typeof val === "string"
        ? val.replace("#/$defs/", "#/components/schemas/")
        : toComponentRefs(val);
  }
  return out;
}

export function buildDocument(
  parts: DocumentParts,
  endpoints: readonly Endpoint[],
): OpenApiDocument {
  const config = { ...CONVERSION, definitions: parts.schemas };
  const convert = (schema: v.GenericSchema): Schema =>
    toComponentRefs(toJsonSchema(schema, config)) as Schema;

  const parameters = (schema: ParamsSchema | undefined, where: "path" | "query"): Parameter[] => {
    if (!schema) return [];
    const object = convert(schema);
    return Object.entries(object.properties ?? {}).map(([name, s]) => {
      const { description, ...rest } = s;
      return {
        name,
        in: where,
        required: where === "path" || (object.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      };
    });
  };

  const response = (r: ResponseSpec | string): Response | Ref => {
    if (typeof r === "string") return { $ref: `#/components/responses/${r}` };
    const content: Response["content"] = {};
    if (r.json) content["application/json"] = { schema: convert(r.json) };
    for (const [type, schema] of Object.entries(r.other ?? {})) content[type] = { schema };
    return {
      description: r.description,
      ...(r.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([h, name]) => [
                h,
                { $ref: `#/components/headers/${name}` },
              ]),
            ),
          }
        : {}),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  };

  const operation = (spec: EndpointSpec): Operation => {
    const scoped = spec.auth !== "public";
    const params = [...parameters(spec.params, "path"), ...parameters(spec.query, "query")];
    const responses: Operation["responses"] = {};
    const all = { ...spec.responses, ...(scoped ? parts.auth.responses : {}) };
    for (const status of Object.keys(all).sort())
      responses[status] = response(all[Number(status)]!);
    const needs = scoped ? `Needs the \`${spec.auth}\` scope.` : "";
    return {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description || needs
        ? { description: [spec.description, needs].filter(Boolean).join(" ") }
        : {}),
      tags: spec.tags,
      ...(scoped ? {} : { security: [] }),
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": {
                  schema: convert(spec.body),
                  ...(spec.bodyExample !== undefined ? { example: spec.bodyExample } : {}),
                },
              },
            },
          }
        : {}),
      responses,
    };
  };

  const paths: Record<string, PathItem> = {};
  for (const { spec } of endpoints) {
    const item: PathItem = paths[spec.path] ?? {};
    paths[spec.path] = item;
    if (item[spec.method]) throw new Error(`${spec.method} ${spec.path} is defined twice`);
    item[spec.method] = operation(spec);
  }

  return {
    openapi: "3.1.0",
    info: parts.info,
    servers: parts.servers,
    security: [{ [parts.auth.scheme]: [] }],
    tags: parts.tags,
    paths,
    components: {
      schemas: toComponentRefs(toJsonSchemaDefs(parts.schemas, config)) as Record<string, Schema>,
      responses: parts.responses,
      headers: parts.headers,
      securitySchemes: parts.securitySchemes,
    },
  };
}
