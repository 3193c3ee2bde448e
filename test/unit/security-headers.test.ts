import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { describe, expect, it } from "vitest";
import { securityHeaders } from "../../src/http/security-headers.ts";

/*
 * Our security headers (src/http/security-headers.ts) answer what hono's secureHeaders answered
 * with the options src/app.ts gave it, for answers with and without headers of their own.
 */

function appWith(middleware: "ours" | "hono") {
  const app = new Hono();
  app.use(
    middleware === "ours"
      ? securityHeaders()
      : secureHeaders({
          xFrameOptions: "DENY",
          contentSecurityPolicy: { frameAncestors: ["'none'"] },
          crossOriginResourcePolicy: false,
          crossOriginOpenerPolicy: false,
          referrerPolicy: "same-origin",
        }),
  );
  app.get("/json", (c) => c.json({ ok: true }, 201));
  app.get("/html", (c) => c.html("<p>hi</p>"));
  app.get("/own", (c) =>
    c.text("x", 200, {
      "X-Frame-Options": "SAMEORIGIN",
      "Content-Security-Policy": "default-src 'self'",
      "X-Powered-By": "us",
      "X-Own": "1",
    }),
  );
  app.get("/raw", () => new Response("raw", { headers: { "X-Powered-By": "raw" } }));
  app.get("/empty", (c) => c.body(null, 204));
  return app;
}

describe("securityHeaders", () => {
  it("answers as hono's secureHeaders did", async () => {
    const ours = appWith("ours");
    const theirs = appWith("hono");
    for (const path of ["/json", "/html", "/own", "/raw", "/empty", "/missing"]) {
      const a = await ours.request(path);
      const b = await theirs.request(path);
      expect(a.status, path).toBe(b.status);
      expect([...a.headers].sort(), path).toEqual([...b.headers].sort());
      expect(await a.text(), path).toBe(await b.text());
    }
  });
});
