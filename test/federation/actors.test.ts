import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actorKeys } from "../../src/db/schema/index.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { AP, getJson, insertUser } from "./support.ts";

let instance: TestInstance;
let host: string;

beforeAll(async () => {
  instance = await startTestInstance({ FEE_BP: "250", TIME_ZONE: "Europe/Vienna" });
  host = new URL(instance.origin).host;
  await insertUser(instance, "Alice");
});
afterAll(async () => {
  await instance?.stop();
});

describe("WebFinger", () => {
  it("resolves a user, case-insensitively, to the canonical actor", async () => {
    for (const name of ["Alice", "alice", "ALICE"]) {
      const { status, body } = await getJson(
        `${instance.origin}/.well-known/webfinger?resource=acct:${name}@${host}`,
        "application/jrd+json",
      );
      expect(status).toBe(200);
      const self = body.links.find((l: { rel: string }) => l.rel === "self");
      expect(self).toEqual({ rel: "self", href: `${instance.origin}/users/Alice`, type: AP });
    }
  });

  it("resolves the instance actor", async () => {
    const hostname = new URL(instance.origin).hostname;
    const { status, body } = await getJson(
      `${instance.origin}/.well-known/webfinger?resource=acct:${hostname}@${host}`,
      "application/jrd+json",
    );
    expect(status).toBe(200);
    expect(body.links.find((l: { rel: string }) => l.rel === "self").href).toBe(
      `${instance.origin}/actor`,
    );
  });

  it("answers JSON errors: 404 for unknown users, 400 for a bad query", async () => {
    const unknown = await getJson(
      `${instance.origin}/.well-known/webfinger?resource=acct:nobody@${host}`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: expect.any(String) });
    const otherHost = await getJson(
      `${instance.origin}/.well-known/webfinger?resource=acct:Alice@elsewhere.example`,
    );
    expect(otherHost.status).toBe(404);
    expect(otherHost.body.error).toEqual(expect.any(String));
    for (const query of ["", "?resource=", "?resource=not%20a%20uri"]) {
      const bad = await getJson(`${instance.origin}/.well-known/webfinger${query}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toEqual(expect.any(String));
    }
  });
});

describe("actor documents", () => {
  it("serves a Person with keys, endpoints and a payment link", async () => {
    const { status, body } = await getJson(`${instance.origin}/users/Alice`);
    expect(status).toBe(200);
    const id = `${instance.origin}/users/Alice`;
    expect(body).toMatchObject({
      id,
      type: "Person",
      preferredUsername: "Alice",
      name: "Alice Example",
      inbox: `${id}/inbox`,
      outbox: `${id}/outbox`,
      followers: `${id}/followers`,
      following: `${id}/following`,
      endpoints: { sharedInbox: `${instance.origin}/inbox` },
      url: `${instance.origin}/@Alice`,
    });
    // A browser following the actor id lands on the HTML profile, which links back to both.
    const page = await fetch(id, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/@Alice");
    const profile = await (await fetch(`${instance.origin}/@Alice`)).text();
    expect(profile).toContain(`<link rel="payment" href="${id}/flattr"`);
    expect(body.summary).toBe("<p>Makes things &#60;b&#62;worth&#60;/b&#62; flattring.</p>");
    expect(body.publicKey).toMatchObject({ id: `${id}#main-key`, owner: id });
    expect(body.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const multikeys = [body.assertionMethod].flat();
    expect(multikeys).toHaveLength(2);
    // Ed25519 public keys in multibase start with "z6Mk".
    expect(
      multikeys.some((k: { publicKeyMultibase: string }) =>
        k.publicKeyMultibase.startsWith("z6Mk"),
      ),
    ).toBe(true);
    expect([body.attachment].flat()).toContainEqual({
      type: "Link",
      rel: "payment",
      href: `${id}/flattr`,
      mediaType: "text/html",
    });
  });

  it("generates keys once and keeps them", async () => {
    const first = await getJson(`${instance.origin}/users/Alice`);
    const second = await getJson(`${instance.origin}/users/Alice`);
    expect(second.body.publicKey.publicKeyPem).toBe(first.body.publicKey.publicKeyPem);
    const rows = await instance.deps.database.db
      .select({ type: actorKeys.type })
      .from(actorKeys)
      .where(eq(actorKeys.actor, "Alice"));
    expect(rows.map((r) => r.type).sort()).toEqual(["Ed25519", "RSASSA-PKCS1-v1_5"]);
  });

  it("404s unknown and non-canonical actors", async () => {
    expect((await getJson(`${instance.origin}/users/nobody`)).status).toBe(404);
    expect((await getJson(`${instance.origin}/users/alice`)).status).toBe(404);
    expect((await getJson(`${instance.origin}/users/~instance`)).status).toBe(404);
    expect((await getJson(`${instance.origin}/users/nobody/followers`)).status).toBe(404);
  });

  it("serves the instance actor as an Application at /actor with its own keys", async () => {
    const { status, body } = await getJson(`${instance.origin}/actor`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: `${instance.origin}/actor`,
      type: "Application",
      inbox: `${instance.origin}/inbox`,
    });
    expect(body.publicKey.id).toBe(`${instance.origin}/actor#main-key`);
    const alice = await getJson(`${instance.origin}/users/Alice`);
    expect(body.publicKey.publicKeyPem).not.toBe(alice.body.publicKey.publicKeyPem);
  });

  it("serves empty collections for a new user", async () => {
    const followers = await getJson(`${instance.origin}/users/Alice/followers`);
    expect(followers.status).toBe(200);
    expect(followers.body).toMatchObject({ type: "OrderedCollection", totalItems: 0 });
    const outbox = await getJson(`${instance.origin}/users/Alice/outbox`);
    expect(outbox.body).toMatchObject({ type: "OrderedCollection", totalItems: 0 });
  });
});

describe("NodeInfo", () => {
  it("links NodeInfo 2.1 and publishes the flattr metadata", async () => {
    const wellKnown = await getJson(`${instance.origin}/.well-known/nodeinfo`, "application/json");
    expect(wellKnown.status).toBe(200);
    const link = wellKnown.body.links.find(
      (l: { rel: string }) => l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1",
    );
    expect(link.href).toBe(`${instance.origin}/nodeinfo/2.1`);
    const { status, body } = await getJson(link.href, "application/json");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      version: "2.1",
      software: { name: "fediflattr" },
      protocols: ["activitypub"],
      openRegistrations: true,
      usage: { users: { total: 1 } },
      metadata: {
        flattr: {
          protocolVersion: "1",
          currency: "EUR",
          feeBasisPoints: 250,
          timeZone: "Europe/Vienna",
          settlementDay: 10,
        },
      },
    });
  });
});
