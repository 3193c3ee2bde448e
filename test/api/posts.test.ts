// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are checked against the OpenAPI schemas instead
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { makeUser } from "../helpers/flattr.ts";
import { expectDocumented, makeApp, tokenFor } from "./support.ts";

let database: Database;
const config = testConfig({ ORIGIN: "https://flattr.example" });
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe("REST API: posts", () => {
  it("writes, reads, edits (PUT and PATCH) and deletes a post, as documented", async () => {
    const db = database.db;
    const { as } = makeApp(database, config, clock);
    const alice = await makeUser(db, "alice");
    await makeUser(db, "carol");
    const A = as(await tokenFor(db, clock, alice));

    let res = await A.post("/posts", { content: "Hello @carol, https://example.com" });
    expect(res.status).toBe(201);
    const created = await expectDocumented(config, res, "POST", "/posts");
    expect(created.id).toMatch(/^[1-9][0-9]+$/);
    expect(created).toMatchObject({
      uri: `https://flattr.example/users/alice/posts/${created.id}`,
      url: `https://flattr.example/@alice/posts/${created.id}`,
    });
    expect(res.headers.get("location")).toBe(
      `https://flattr.example/api/flattr/v1/posts/${created.id}`,
    );
    const thing = await A.get(`/things/${created.thing_id}`);
    expect(await thing.json()).toMatchObject({ kind: "note", url: created.url });

    const post = await expectDocumented(
      config,
      await A.get(`/posts/${created.id}`),
      "GET",
      "/posts/{id}",
    );
    expect(post).toMatchObject({
      content: "Hello @carol, https://example.com",
      in_reply_to: null,
      edited_at: null,
      author: { username: "alice" },
      mentions: [{ handle: "@carol@flattr.example", actor: "https://flattr.example/users/carol" }],
    });
    expect(post.content_html).toContain('class="u-url mention"');

    clock.advance(1000);
    res = await A.put(`/posts/${created.id}`, { content: "Edited" });
    expect(await expectDocumented(config, res, "PUT", "/posts/{id}")).toMatchObject({
      content: "Edited",
      mentions: [],
      edited_at: clock.now().toISOString(),
    });
    res = await A.request("PATCH", `/posts/${created.id}`, { content: "Patched" });
    expect(await expectDocumented(config, res, "PATCH", "/posts/{id}")).toMatchObject({
      content: "Patched",
    });

    const reply = await A.post("/posts", { content: "me too", in_reply_to: created.uri });
    const replyId = (await reply.json()).id;
    expect(await (await A.get(`/posts/${replyId}`)).json()).toMatchObject({
      in_reply_to: created.uri,
    });

    res = await A.delete(`/posts/${created.id}`);
    expect(await expectDocumented(config, res, "DELETE", "/posts/{id}")).toEqual({
      id: created.id,
      thing_id: created.thing_id,
      deleted: true,
    });
    for (const again of [
      await A.get(`/posts/${created.id}`),
      await A.delete(`/posts/${created.id}`),
      await A.put(`/posts/${created.id}`, { content: "back" }),
    ]) {
      expect(again.status).toBe(404);
      expect((await again.json()).code).toBe("post_not_found");
    }
    // The thing stays, with its flattrs.
    expect((await A.get(`/things/${created.thing_id}`)).status).toBe(200);
  });

  it("refuses bad input with a clear 4xx and changes nothing", async () => {
    const db = database.db;
    const { as } = makeApp(database, config, clock);
    const bob = await makeUser(db);
    const eve = await makeUser(db);
    const B = as(await tokenFor(db, clock, bob));
    const E = as(await tokenFor(db, clock, eve));
    const R = as(await tokenFor(db, clock, bob, ["read"]));
    const mine = await (await B.post("/posts", { content: "mine" })).json();

    const cases: [Response, number, string][] = [
      [await B.post("/posts", { content: "   " }), 422, "invalid_content"],
      [await B.post("/posts", { content: "x".repeat(5001) }), 422, "invalid_content"],
      [await B.post("/posts", { content: "nul\u0000" }), 422, "invalid_content"],
      [await B.post("/posts", {}), 422, "invalid_request"],
      [await B.post("/posts", { content: 5 }), 422, "invalid_request"],
      [await B.post("/posts", { content: "x", in_reply_to: "not a url" }), 422, "invalid_reply"],
      [await B.post("/posts", "{oops"), 400, "malformed_json"],
      [await R.post("/posts", { content: "x" }), 403, "insufficient_scope"],
      [await as(null).post("/posts", { content: "x" }), 401, "unauthorized"],
      [await E.put(`/posts/${mine.id}`, { content: "hijacked" }), 403, "not_author"],
      [await E.delete(`/posts/${mine.id}`), 403, "not_author"],
      [await B.get("/posts/abc"), 404, "not_found"],
      [await B.get("/posts/99999999999999999999"), 404, "not_found"],
      [await B.get("/posts/123"), 404, "post_not_found"],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status, code).toBe(status);
      expect((await res.json()).code).toBe(code);
    }
    expect(await (await B.get(`/posts/${mine.id}`)).json()).toMatchObject({ content: "mine" });
  });
});
