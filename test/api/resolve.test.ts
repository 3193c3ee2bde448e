import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { blockedDomains } from "../../src/db/schema/index.ts";
import type { Deps } from "../../src/deps.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { actorData, FakeLookup, noteData } from "../helpers/fake-lookup.ts";
import { makeUser } from "../helpers/flattr.ts";
import { expectDocumented, makeApp, tokenFor } from "./support.ts";

// POST /things/resolve over HTTP with a fake look-up: statuses, bodies and the document agree.
let database: Database;
let token: string;
let readOnly: string;
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));
const config = testConfig({ ORIGIN: "https://flattr.example" });
const deps = {
  config,
  clock,
  get database() {
    return database;
  },
} as Deps;
const lookup = new FakeLookup(deps)
  .addActor(actorData("https://peer.example/users/pia"), "pia@peer.example")
  .addObject(
    noteData("https://peer.example/users/pia/statuses/1", "https://peer.example/users/pia"),
  )
  .fail("https://gone.example/notes/1", "gone")
  .fail("https://down.example/notes/1", "unreachable")
  .fail("https://peer.example/users/pia/followers", "not_flattrable");
lookup.peers.add("peer.example");
let api: ReturnType<typeof makeApp>;

beforeAll(async () => {
  database = await createTestDatabase();
  api = makeApp(database, config, clock, { remoteLookup: lookup });
  const carol = await makeUser(database.db, "carol");
  token = await tokenFor(database.db, clock, carol);
  readOnly = await tokenFor(database.db, clock, await makeUser(database.db), ["read"]);
});
afterAll(async () => {
  await database?.close();
});

const resolve = (uri: unknown, t = token) => api.as(t).post("/things/resolve", { uri });
const documented = (res: Response) => expectDocumented(config, res, "POST", "/things/resolve");

describe("POST /things/resolve", () => {
  it("answers a remote post's thing: 201 when created, then 200, with a Location", async () => {
    const first = await resolve("https://peer.example/users/pia/statuses/1", readOnly);
    expect(first.status).toBe(201);
    const body = await documented(first);
    expect(body).toMatchObject({
      kind: "note",
      url: "https://peer.example/users/pia/statuses/1",
      uri: "https://peer.example/users/pia/statuses/1",
      title: "Hello from elsewhere.",
      owner: {
        kind: "peer",
        actor: "https://peer.example/users/pia",
        handle: "pia@peer.example",
        url: "https://peer.example/@pia",
      },
      page: `https://flattr.example/things/${body.id}`,
      deleted: false,
      created: true,
    });
    expect(first.headers.get("location")).toBe(
      `https://flattr.example/api/flattr/v1/things/${body.id}`,
    );
    const again = await resolve("https://peer.example/users/pia/statuses/1");
    expect(again.status).toBe(200);
    expect(await documented(again)).toMatchObject({ id: body.id, created: false });
  });

  it("answers a handle's profile, and a local user's without the network", async () => {
    const pia = await documented(await resolve("@pia@peer.example"));
    expect(pia).toMatchObject({ kind: "profile", url: "https://peer.example/@pia" });
    const carol = await documented(await resolve("acct:carol@flattr.example"));
    expect(carol).toMatchObject({
      kind: "profile",
      url: "https://flattr.example/@carol",
      uri: "https://flattr.example/users/carol",
      owner: {
        kind: "local",
        handle: "carol@flattr.example",
        url: "https://flattr.example/@carol",
      },
    });
  });

  it("refuses with documented 4xx codes, never a 5xx", async () => {
    await database.db
      .insert(blockedDomains)
      .values({ host: "blocked.example", createdAt: clock.now() });
    const cases: [unknown, number, string][] = [
      ["", 422, "invalid_uri"],
      ["not a handle", 422, "invalid_uri"],
      [42, 422, "invalid_request"],
      [undefined, 422, "invalid_request"],
      ["@nobody@peer.example", 404, "not_found"],
      ["https://flattr.example/users/nobody", 404, "not_found"],
      ["https://gone.example/notes/1", 410, "remote_gone"],
      ["https://peer.example/users/pia/followers", 422, "not_flattrable"],
      ["@x@blocked.example", 403, "domain_blocked"],
      ["https://down.example/notes/1", 424, "remote_unreachable"],
    ];
    for (const [uri, status, code] of cases) {
      const res = await resolve(uri);
      expect(res.status, String(uri)).toBe(status);
      expect(await documented(res), String(uri)).toMatchObject({ code });
    }
    const noToken = await resolve("@pia@peer.example", null as unknown as string);
    expect(noToken.status).toBe(401);
    const form = await api
      .as(token)
      .request("POST", "/things/resolve", "uri=x", { "content-type": "text/plain" });
    expect(form.status).toBe(415);
  });
});
