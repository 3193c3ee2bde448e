import { Hono } from "hono";
import { cors } from "hono/cors";
import { describe, expect, it } from "vitest";
import { openCors } from "../../src/http/cors.ts";

/*
 * openCors answers what hono's cors answers for "any origin, no credentials" — it only sets its
 * headers earlier (src/http/cors.ts says why) — for every method, with and without an Origin,
 * preflights with and without requested headers, and handlers that set their own headers.
 */

const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

function appWith(middleware: "ours" | "hono", allowHeaders: string[]) {
  const app = new Hono();
  const config = {
    allowMethods: methods,
    allowHeaders,
    exposeHeaders: ["Link", "Retry-After"],
  };
  app.use(
    "*",
    middleware === "ours"
      ? openCors({ ...config, maxAgeSeconds: 86400 })
      : cors({ ...config, origin: "*", maxAge: 86400, credentials: false }),
  );
  app.get("/json", (c) => c.json({ ok: true }, 200, { "Cache-Control": "max-age=5" }));
  app.post("/json", (c) => c.json({ created: true }, 201));
  app.get("/raw", () => new Response("raw", { headers: { "X-Own": "1" } }));
  app.delete("/json", (c) => c.body(null, 204));
  return app;
}

async function seen(res: Response) {
  return {
    status: res.status,
    headers: [...res.headers.entries()].sort(),
    body: await res.text(),
  };
}

describe("openCors", () => {
  for (const allowHeaders of [["Authorization", "Content-Type"], []]) {
    it(`answers as hono's cors does (allowHeaders: ${allowHeaders.join(",") || "echo"})`, async () => {
      const ours = appWith("ours", allowHeaders);
      const theirs = appWith("hono", allowHeaders);
      const requests: [string, string, Record<string, string>][] = [];
      for (const path of ["/json", "/raw", "/missing"])
        for (const method of ["GET", "POST", "DELETE", "OPTIONS"])
          for (const headers of [
            {} as Record<string, string>,
            { Origin: "https://elk.example" },
            {
              Origin: "https://elk.example",
              "Access-Control-Request-Method": "POST",
              "Access-Control-Request-Headers": "authorization, x-custom",
            },
          ])
            requests.push([path, method, headers]);
      for (const [path, method, headers] of requests) {
        const url = `http://api.example${path}`;
        const a = await seen(await ours.request(url, { method, headers }));
        const b = await seen(await theirs.request(url, { method, headers }));
        expect({ path, method, sent: headers, ...a }).toEqual({
          path,
          method,
          sent: headers,
          ...b,
        });
      }
    });
  }
});
