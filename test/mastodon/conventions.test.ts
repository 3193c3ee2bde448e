import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/accounts/tokens.ts";
import { unwrap } from "../../src/errors.ts";
import { asBoolean, asStringList } from "../../src/mastodon/input.ts";
import { follow } from "../../src/social/follows.ts";
import { noFederation } from "../../src/social/ports.ts";
import { createPost } from "../../src/social/posts.ts";
import { makeUser } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

/*
 * Mastodon's conventions, which apps rely on in different ways (issue 11 point 3): trailing
 * slashes, bodies as JSON, form, multipart or without a Content-Type, booleans and arrays in
 * their several spellings, JSON for every answer (unknown routes and methods too), and
 * `Retry-After` on rate limits.
 */

let instance: TestInstance;
let token: string;
let authorId: number;

beforeAll(async () => {
  instance = await startTestInstance({ APP_RATE_LIMIT: "2/3600" });
  const { database, clock, config } = instance.deps;
  const deps = { db: database.db, clock, config, federation: noFederation };
  const me = await makeUser(database.db, "me");
  authorId = await makeUser(database.db, "author");
  token = (await createToken(database.db, clock, me, { name: "conventions" })).token;
  unwrap(await follow(deps, authorId, "@me"));
  unwrap(await createPost(deps, authorId, { content: "hi @me" }));
});
afterAll(async () => {
  await instance?.stop();
});

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${instance.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });

async function types(path: string): Promise<string[]> {
  const res = await call(path);
  expect(res.status, path).toBe(200);
  return ((await res.json()) as { type: string }[]).map((n) => n.type);
}

describe("Mastodon conventions", () => {
  it("take arrays as a[]=, repeated keys or one value, with or without a trailing slash", async () => {
    expect(await types("/api/v1/notifications")).toEqual(["mention", "follow"]);
    expect(await types("/api/v1/notifications/?types[]=follow&types[]=mention")).toEqual([
      "mention",
      "follow",
    ]);
    expect(await types("/api/v1/notifications?types=follow&types=mention")).toEqual([
      "mention",
      "follow",
    ]);
    expect(await types("/api/v1/notifications?exclude_types=mention")).toEqual(["follow"]);
    expect(await types("/api/v1/notifications?exclude_types%5B%5D=follow")).toEqual(["mention"]);
    expect(await types("/api/v1/notifications?types[]=reblog")).toEqual([]);
    // Unusable paging values are ignored, as Mastodon does.
    expect(await types("/api/v1/notifications?max_id=abc&limit=1")).toEqual(["mention"]);
  });

  it("read bodies as JSON, form, multipart or without a Content-Type", async () => {
    const save = async (body: BodyInit, headers: Record<string, string> = {}) => {
      const res = await call("/api/v1/markers/", { method: "POST", body, headers });
      expect(res.status).toBe(200);
      return ((await res.json()) as { home?: { last_read_id: string; version: number } }).home;
    };
    expect(
      await save(JSON.stringify({ home: { last_read_id: "10" } }), {
        "content-type": "application/json",
      }),
    ).toMatchObject({ last_read_id: "10", version: 0 });
    expect(
      await save("home%5Blast_read_id%5D=11", {
        "content-type": "application/x-www-form-urlencoded",
      }),
    ).toMatchObject({ last_read_id: "11", version: 1 });
    const form = new FormData();
    form.set("home[last_read_id]", "12");
    expect(await save(form)).toMatchObject({ last_read_id: "12", version: 2 });
    expect(await save("home[last_read_id]=13")).toMatchObject({ last_read_id: "13", version: 3 });
    // A JSON body without its Content-Type is still JSON.
    expect(await save('{"home": {"last_read_id": 14}}')).toMatchObject({ last_read_id: "14" });
    const empty = await call("/api/v1/markers", { method: "POST" });
    expect([empty.status, await empty.json()]).toEqual([200, {}]);
  });

  it("read booleans and lists as Rails does", () => {
    for (const yes of [true, "true", "1", 1, "on", "TRUE", ["true", "false"]])
      expect(asBoolean(yes), JSON.stringify(yes)).toBe(true);
    for (const no of [false, "false", "0", 0, "off", "no"])
      expect(asBoolean(no), JSON.stringify(no)).toBe(false);
    expect(asBoolean(undefined)).toBeUndefined();
    expect(asBoolean("")).toBeUndefined();
    expect(asStringList(["a", 2, { x: 1 }])).toEqual(["a", "2"]);
    expect(asStringList("one")).toEqual(["one"]);
  });

  it("answer JSON for unknown routes, methods and versions, and bad bodies", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/notifications/1/nope"],
      ["DELETE", "/api/v1/markers"],
      ["PUT", "/api/v1/streaming/health"],
      ["GET", "/api/v3/notifications"],
    ] as const) {
      const res = await call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("content-type"), `${method} ${path}`).toMatch(/^application\/json/);
      expect(typeof ((await res.json()) as { error: unknown }).error).toBe("string");
    }
    const malformed = await call("/api/v1/markers", {
      method: "POST",
      body: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/Malformed JSON/);
  });

  it("send Retry-After with a 429", async () => {
    const register = () =>
      fetch(`${instance.origin}/api/v1/apps`, {
        method: "POST",
        body: new URLSearchParams({ client_name: "x", redirect_uris: "urn:ietf:wg:oauth:2.0:oob" }),
      });
    expect((await register()).status).toBe(200);
    expect((await register()).status).toBe(200);
    const limited = await register();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toMatch(/try again later/);
    // Browser apps can read it (CORS).
    const preflight = await fetch(`${instance.origin}/api/v1/apps`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
      },
    });
    expect(preflight.status).toBe(204);
    expect(
      (
        await fetch(`${instance.origin}/api/v1/instance`, {
          headers: { origin: "https://a.example" },
        })
      ).headers.get("access-control-expose-headers"),
    ).toMatch(/Retry-After/);
  });
});
