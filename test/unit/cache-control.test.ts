import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { privateNoStoreByDefault } from "../../src/http/cache-control.ts";

/*
 * The APIs' default Cache-Control (src/http/cache-control.ts) goes onto the handler's answer in
 * place (ADR 0036); an answer whose headers cannot change still gets it, through a copy.
 */
describe("privateNoStoreByDefault", () => {
  const app = new Hono();
  app.use(privateNoStoreByDefault());
  app.get("/json", (c) => c.json({ a: 1 }, 201));
  app.get("/own", (c) => c.json({ a: 1 }, 200, { "Cache-Control": "max-age=60" }));
  app.get("/redirect", () => Response.redirect("https://elsewhere.example/x", 302));

  it("adds private, no-store to an answer that says nothing, keeping status and body", async () => {
    const res = await app.request("/json");
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ a: 1 });
  });

  it("keeps the handler's own Cache-Control", async () => {
    expect((await app.request("/own")).headers.get("cache-control")).toBe("max-age=60");
  });

  it("copies an answer whose headers cannot change", async () => {
    const res = await app.request("/redirect");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://elsewhere.example/x");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
  });
});
