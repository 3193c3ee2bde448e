import { createServer, type Server } from "node:http";
import { generateCryptoKeyPair, signObject, signRequest } from "@fedify/fedify";
import { CryptographicKey, Follow, Multikey } from "@fedify/vocab";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../src/accounts/sessions.ts";
import { createToken } from "../../src/accounts/tokens.ts";
import { followers, following } from "../../src/db/schema/index.ts";
import { unwrap } from "../../src/errors.ts";
import { loadOrCreateKeyPairs } from "../../src/federation/keys.ts";
import { follow, unfollow } from "../../src/social/follows.ts";
import { cookieNames } from "../../src/web/session.ts";
import { freePort, startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { queueRows } from "../helpers/queue.ts";
import { WebClient } from "../helpers/web-client.ts";
import { AP, getJson, insertUser, socialOf, waitFor } from "./support.ts";

// Two real instances on loopback ports, with real HTTP signatures between them.
let one: TestInstance;
let two: TestInstance;
let aliceId: number;
let bobId: number;
let carolId: number;
let alice: string;
let bob: string;
let carol: string;

beforeAll(async () => {
  [one, two] = await Promise.all([startTestInstance(), startTestInstance()]);
  aliceId = await insertUser(one, "Alice");
  carolId = await insertUser(one, "Carol");
  bobId = await insertUser(two, "Bob");
  alice = `${one.origin}/users/Alice`;
  carol = `${one.origin}/users/Carol`;
  bob = `${two.origin}/users/Bob`;
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
});

async function followerRow(instance: TestInstance, userId: number, actorUri: string) {
  const [row] = await instance.deps.database.db
    .select()
    .from(followers)
    .where(and(eq(followers.userId, userId), eq(followers.actorUri, actorUri)));
  return row ?? null;
}

async function followingRow(instance: TestInstance, userId: number, actorUri: string) {
  const [row] = await instance.deps.database.db
    .select()
    .from(following)
    .where(and(eq(following.userId, userId), eq(following.actorUri, actorUri)));
  return row ?? null;
}

describe("Follow / Accept / Undo between two instances", () => {
  it("records the follower, accepts, marks the following accepted, and undoes", async () => {
    const social = socialOf(one);
    const result = unwrap(await follow(social, aliceId, bob));
    expect(result).toMatchObject({ actorUri: bob, accepted: false });
    expect(result.followId.startsWith(`${alice}#follows/`)).toBe(true);

    // Instance two receives the signed Follow, records Alice and sends an Accept back.
    const follower = await waitFor(() => followerRow(two, bobId, alice));
    expect(follower).toMatchObject({
      inboxUrl: `${alice}/inbox`,
      sharedInboxUrl: `${one.origin}/inbox`,
      followId: result.followId,
    });
    // Instance one receives the Accept and marks the following accepted.
    const accepted = await waitFor(async () => {
      const row = await followingRow(one, aliceId, bob);
      return row?.acceptedAt ? row : null;
    });
    expect(accepted.followId).toBe(result.followId);

    const collection = await getJson(`${bob}/followers`);
    expect(collection.body.totalItems).toBe(1);
    const page = await getJson(collection.body.first);
    expect([page.body.orderedItems].flat()).toEqual([alice]);
    expect((await getJson(`${alice}/following`)).body.totalItems).toBe(1);

    // Following again once accepted changes nothing.
    expect(unwrap(await follow(social, aliceId, bob))).toMatchObject({
      followId: result.followId,
      accepted: true,
    });

    expect(await unfollow(social, aliceId, bob)).toBe(true);
    expect(await followingRow(one, aliceId, bob)).toBeNull();
    await waitFor(async () => (await followerRow(two, bobId, alice)) === null);
    expect(await unfollow(social, aliceId, bob)).toBe(false);
  });

  it("follows a remote handle over HTTP, through WebFinger: the web form and the API", async () => {
    const db = one.deps.database.db;
    const handle = `@Bob@${new URL(two.origin).host}`;
    // The web form, as a logged-in person submits it.
    const { token: session } = await createSession(db, one.deps.clock, carolId);
    const web = new WebClient((r) => fetch(r), one.origin);
    web.cookies.set(cookieNames(one.deps.config).session, session);
    const posted = await web.submit("/following", "/follow", { target: handle });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toBe("/following?followed");
    await waitFor(async () => (await followingRow(one, carolId, bob))?.acceptedAt);
    expect((await followerRow(two, bobId, carol))?.followId).toMatch(/^http/);
    const page = await (await web.get("/following")).text();
    expect(page).toContain(`@Bob@${new URL(two.origin).host}`);

    // The REST API with a token, the acct: form of the handle.
    const token = (await createToken(db, one.deps.clock, aliceId, { name: "t", scopes: ["write"] }))
      .token;
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${one.origin}/api/flattr/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const res = await api("POST", "/follows", { target: `acct:Bob@${new URL(two.origin).host}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ actor: bob, accepted: false });
    await waitFor(async () => (await followingRow(one, aliceId, bob))?.acceptedAt);
    const unknown = await api("POST", "/follows", {
      target: `@nobody@${new URL(two.origin).host}`,
    });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe("actor_not_found");
    const gone = await api("DELETE", `/follows?actor=${encodeURIComponent(bob)}`);
    expect(await gone.json()).toEqual({ unfollowed: true });
    await waitFor(async () => (await followerRow(two, bobId, alice)) === null);
    // The web form's follow stays: the next test starts from Carol following Bob.
    expect(await unfollow(socialOf(one), carolId, bob)).toBe(true);
    await waitFor(async () => (await followerRow(two, bobId, carol)) === null);
  });

  it("refuses to follow unknown actors and oneself", async () => {
    const social = socialOf(one);
    const refusal = async (r: Promise<{ ok: boolean; error?: { code: string } }>) =>
      (await r).error?.code;
    expect(await refusal(follow(social, aliceId, `${two.origin}/users/nobody`))).toBe(
      "actor_not_found",
    );
    expect(await refusal(follow(social, aliceId, alice))).toBe("self_follow");
    expect(await refusal(follow(social, aliceId, "@Alice"))).toBe("self_follow");
    expect(await refusal(follow(social, 999_999, bob))).toBe("user_not_found");
  });
});

describe("forged deliveries", () => {
  // A server that publishes keys claiming to belong to Carol on instance one.
  let evil: Server;
  let evilOrigin: string;
  const keys = {
    rsa: undefined as unknown as CryptoKeyPair,
    ed: undefined as unknown as CryptoKeyPair,
  };

  beforeAll(async () => {
    keys.rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    keys.ed = await generateCryptoKeyPair("Ed25519");
    const port = await freePort();
    evilOrigin = `http://127.0.0.1:${port}`;
    const documents: Record<string, () => Promise<unknown>> = {
      "/key": () =>
        new CryptographicKey({
          id: new URL(`${evilOrigin}/key`),
          owner: new URL(carol),
          publicKey: keys.rsa.publicKey,
        }).toJsonLd({ format: "compact" }),
      "/multikey": () =>
        new Multikey({
          id: new URL(`${evilOrigin}/multikey`),
          controller: new URL(carol),
          publicKey: keys.ed.publicKey,
        }).toJsonLd({ format: "compact" }),
    };
    evil = createServer(async (req, res) => {
      const doc = documents[req.url ?? ""];
      if (!doc) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "Content-Type": AP }).end(JSON.stringify(await doc()));
    });
    await new Promise<void>((resolve) => evil.listen(port, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => evil?.close(resolve));
  });

  function followJson(id: string, actor: string) {
    return {
      "@context": "https://www.w3.org/ns/activitystreams",
      id,
      type: "Follow",
      actor,
      object: bob,
    };
  }

  function inboxRequest(body: unknown): Request {
    return new Request(`${bob}/inbox`, {
      method: "POST",
      headers: { "Content-Type": AP, Accept: AP },
      body: JSON.stringify(body),
    });
  }

  it("refuses a key from another origin that claims to be the actor's (HTTP signature)", async () => {
    const request = await signRequest(
      inboxRequest(followJson(`${carol}#follows/forged-1`, carol)),
      keys.rsa.privateKey,
      new URL(`${evilOrigin}/key`),
      { spec: "draft-cavage-http-signatures-12" },
    );
    const res = await fetch(request);
    expect(res.status).toBe(401);
  });

  it("refuses the same forgery as an object integrity proof", async () => {
    const follow = new Follow({
      id: new URL(`${carol}#follows/forged-2`),
      actor: new URL(carol),
      object: new URL(bob),
    });
    const signed = await signObject(follow, keys.ed.privateKey, new URL(`${evilOrigin}/multikey`));
    const res = await fetch(inboxRequest(await signed.toJsonLd({ format: "compact" })));
    expect(res.status).toBe(401);
  });

  it("refuses an activity whose id is on another origin than its actor", async () => {
    const [rsa] = await loadOrCreateKeyPairs(one.deps.database.db, "Carol");
    const request = await signRequest(
      inboxRequest(followJson(`${evilOrigin}/follows/1`, carol)),
      rsa!.privateKey,
      new URL(`${carol}#main-key`),
    );
    expect((await fetch(request)).status).toBe(401);
  });

  it("changed nothing, while the actor's own signature is accepted", async () => {
    // Accepted inbox activities are queued; with Bob's inbox queue drained, a wrongly accepted
    // forgery would have been processed (a row is deleted only after its listener ran).
    await waitFor(async () => (await queueRows(two.deps.database.db, "inbox")) === 0);
    expect(await followerRow(two, bobId, carol)).toBeNull();

    const [rsa] = await loadOrCreateKeyPairs(one.deps.database.db, "Carol");
    const request = await signRequest(
      inboxRequest(followJson(`${carol}#follows/genuine`, carol)),
      rsa!.privateKey,
      new URL(`${carol}#main-key`),
    );
    expect((await fetch(request)).status).toBe(202);
    await waitFor(() => followerRow(two, bobId, carol));
  });
});
