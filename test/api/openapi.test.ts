import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/api/openapi.ts";
import { apiEndpoints } from "../../src/api/router.ts";
import { testConfig } from "../../src/config/config.ts";

const config = testConfig({ ORIGIN: "https://flattr.example" });
const doc = openApiDocument(config);

/** "METHOD /path/{param}" for every route the router registers (middleware aside). */
function routerOperations(app = apiEndpoints()): string[] {
  return app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`)
    .sort();
}

function documentOperations(): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

/** Every "$ref" string anywhere in the document. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refs(v, out);
    }
  return out;
}

describe("OpenAPI document", () => {
  it("lists exactly the routes the router has", () => {
    expect(routerOperations().length).toBeGreaterThan(5);
    expect(documentOperations()).toEqual(routerOperations());
  });

  it("misses a route registered without an endpoint, so the check above would fail", () => {
    // The document is generated from the endpoints (src/http/endpoint.ts); a route added to the
    // router any other way has no schema and no entry, and the comparison must notice.
    const app = apiEndpoints();
    app.get("/me/secret", (c) => c.json({}));
    expect(routerOperations(app)).toContain("GET /me/secret");
    expect(documentOperations()).not.toEqual(routerOperations(app));
  });

  it("publishes the input schemas the endpoints check", () => {
    const budget = doc.paths["/me/budget"]!.put!;
    expect(budget.requestBody?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/BudgetInput",
    });
    expect(doc.components.schemas.BudgetInput).toMatchObject({
      type: "object",
      required: ["amount"],
      properties: { amount: { type: "string" } },
    });
    expect(doc.paths["/things/{id}/flattr"]!.post!.parameters).toEqual([
      expect.objectContaining({ name: "id", in: "path", required: true }),
    ]);
    expect(doc.paths["/me/statement"]!.get!.parameters).toEqual([
      expect.objectContaining({ name: "period", in: "query", required: false }),
      expect.objectContaining({
        name: "format",
        in: "query",
        required: false,
        schema: { type: "string", enum: ["json", "csv"] },
      }),
    ]);
  });

  it("is well-formed: 3.1, unique operation ids, resolvable refs, errors on every operation", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers[0]!.url).toBe("https://flattr.example/api/flattr/v1");
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const ref of refs(doc)) {
      const [, section, name] = /^#\/components\/(\w+)\/(\w+)$/.exec(ref) ?? [];
      const table = (doc.components as unknown as Record<string, Record<string, unknown>>)[
        section ?? ""
      ];
      expect(table?.[name ?? ""], ref).toBeDefined();
    }
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        const open = op.security?.length === 0;
        if (!open) {
          expect(op.responses["401"], `${method} ${path} 401`).toBeDefined();
          expect(op.responses["403"], `${method} ${path} 403`).toBeDefined();
        }
        for (const p of path.match(/\{(\w+)\}/g) ?? [])
          expect(op.parameters?.length, `${method} ${path} declares ${p}`).toBeGreaterThan(0);
      }
    // JSON round trip: what the endpoint serves.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
