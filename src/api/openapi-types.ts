/*
 * The part of OpenAPI 3.1 this API's document uses, typed so that a typo in the document is a
 * compile error. Schemas are JSON Schema 2020-12 (the subset we need).
 */

export type HttpMethod = "get" | "put" | "post" | "delete" | "patch";

export interface Ref {
  $ref: string;
}

export interface Schema {
  $ref?: string;
  type?:
    | "object"
    | "array"
    | "string"
    | "integer"
    | "number"
    | "boolean"
    | "null"
    | ("string" | "null" | "object" | "integer")[];
  description?: string;
  format?: string;
  pattern?: string;
  enum?: (string | number | boolean | null)[];
  const?: string | number | boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
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
    parameters: Record<string, Parameter>;
    headers?: Record<string, Header>;
    securitySchemes: Record<
      string,
      { type: "http"; scheme: "bearer"; bearerFormat?: string; description?: string }
    >;
  };
}
