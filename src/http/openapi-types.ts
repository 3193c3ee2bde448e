/*
 * The part of OpenAPI 3.1 our documents use (src/http/openapi.ts builds them). Schemas are JSON
 * Schema 2020-12.
 */

export type HttpMethod = "get" | "put" | "post" | "delete" | "patch";

export interface Ref {
  $ref: string;
}

/** JSON Schema 2020-12, the part the converter writes and test/api's checker reads. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  description?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maxLength?: number;
  minLength?: number;
  examples?: unknown[];
}

export interface MediaType {
  schema: Schema;
  example?: unknown;
}

export interface Header {
  description: string;
  schema: Schema;
}

export interface Response {
  description: string;
  headers?: Record<string, Header | Ref>;
  content?: Record<string, MediaType>;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  description?: string;
  schema: Schema;
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** [] for public operations, overriding the document's default. */
  security?: Record<string, string[]>[];
  parameters?: (Parameter | Ref)[];
  requestBody?: { required: boolean; content: Record<string, MediaType> };
  responses: Record<string, Response | Ref>;
}

export type PathItem = Partial<Record<HttpMethod, Operation>>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: {
    title: string;
    version: string;
    description?: string;
    license?: { name: string; identifier?: string };
  };
  servers: { url: string; description?: string }[];
  security: Record<string, string[]>[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Response>;
    headers: Record<string, Header>;
    securitySchemes: Record<
      string,
      { type: "http"; scheme: "bearer"; bearerFormat?: string; description?: string }
    >;
  };
}
