// Inbound Likes and Undos that must never move money twice or at all: the same Like delivered 5
// times, an Undo before its Like, forged, cross-origin and unsigned Likes, malformed extensions.
// Real HTTP signatures made with a real instance's keys, over loopback.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { loadOrCreateKeyPairs } from "../../src/federation/keys.ts";
import { buildFlattrLike, buildFlattrUndo } from "../../src/federation/vocab/flattr-like.ts";
import { currentPeriod } from "../../src/flattr/current-period.ts";
import { freePort, startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { queueRows } from "../helpers/queue.ts";
import {
  expectLedgersSound,
  favouriteRows,
  incomingFlattrs,
  localPostThing,
} from "./money-support.ts";
import { AP, insertUser, waitFor } from "./support.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON documents.
type Json = any;

let one: TestInstance; // the payers' server
let two: TestInstance; // the creator's server
let carol: string;
let bob: string;
let bobId: number;
let evil: Server;
let evilOrigin: string;
let evilKey: CryptoKeyPair;

beforeAll(async () => {
  [one, two] = await Promise.all([startTestInstance(), startTestInstance()]);
  await insertUser(one, "Carol");
  bobId = await insertUser(two, "Bob");
  carol = `${one.origin}/users/Carol`;
  bob = `${two.origin}/users/Bob`;
  // A server publishing a key that claims to be Carol's.
  evilKey = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const port = await freePort();
  evilOrigin = `http://127.0.0.1:${port}`;
  evil = createServer(async (req, res) => {
    if (req.url !== "/key") return void res.writeHead(404).end();
    const key = new CryptographicKey({
      id: new URL(`${evilOrigin}/key`),
      owner: new URL(carol),
      publicKey: evilKey.publicKey,
    });
    res.writeHead(200, { "Content-Type": AP }).end(JSON.stringify(await key.toJsonLd()));
  });
  await new Promise<void>((resolve) => evil.listen(port, "127.0.0.1", resolve));
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await new Promise((resolve) => evil?.close(resolve));
});

const newLikeId = (origin = one.origin) => `${origin}/flattrs/${randomBytes(16).toString("hex")}`;

function likeInput(id: string, object = bob) {
  return {
    id: new URL(id),
    actor: new URL(carol),
    object: new URL(object),
    to: new URL(bob),
    published: new Date(),
    period: currentPeriod(one.deps.clock, one.deps.config),
    payerInstance: new URL(`${one.origin}/actor`),
    currency: "EUR",
  };
}

const likeJson = async (id: string, object?: string): Promise<Json> =>
  buildFlattrLike(likeInput(id, object)).toJsonLd({ format: "compact" });
const undoJson = async (id: string): Promise<Json> =>
  buildFlattrUndo(likeInput(id)).toJsonLd({ format: "compact" });

function post(body: unknown, inbox = `${bob}/inbox`): Request {
  return new Request(inbox, {
    method: "POST",
    headers: { "Content-Type": AP, Accept: AP },
    body: JSON.stringify(body),
  });
}

/** POSTs `body` to Bob's inbox signed with Carol's own key (or the key given). */
async function deliver(
  body: unknown,
  key?: { privateKey: CryptoKey; keyId: string },
  inbox?: string,
) {
  const [rsa] = await loadOrCreateKeyPairs(one.deps.database.db, "Carol");
  const signed = await signRequest(
    post(body, inbox),
    key?.privateKey ?? rsa!.privateKey,
    new URL(key?.keyId ?? `${carol}#main-key`),
  );
  return (await fetch(signed)).status;
}

/** The creator's inbox has processed everything it accepted so far. */
const drained = () => waitFor(async () => (await queueRows(two.deps.database.db, "inbox")) === 0);

const stored = async (id: string) =>
  (await incomingFlattrs(two)).filter((r) => r.activity_id === id);

describe("inbound Likes", () => {
  it("the same Like delivered 5 times is one incoming flattr", async () => {
    const id = newLikeId();
    const body = await likeJson(id);
    for (let i = 0; i < 5; i++) expect(await deliver(body)).toBe(202);
    await drained();
    const rows = await stored(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: carol, withdrawn: false });
    // The Undo, delivered twice, withdraws it once.
    const undo = await undoJson(id);
    expect(await deliver(undo)).toBe(202);
    expect(await deliver(undo)).toBe(202);
    await drained();
    expect((await stored(id)).map((r) => r.withdrawn)).toEqual([true]);
  });

  it("an Undo that arrives before its Like still ends withdrawn", async () => {
    const id = newLikeId();
    expect(await deliver(await undoJson(id))).toBe(202);
    await drained();
    expect(await stored(id)).toEqual([]);
    expect(await deliver(await likeJson(id))).toBe(202);
    await drained();
    expect((await stored(id)).map((r) => r.withdrawn)).toEqual([true]);
  });

  it("refuses forged, cross-origin and unsigned Likes, storing nothing", async () => {
    const forged = newLikeId();
    expect(
      await deliver(await likeJson(forged), {
        privateKey: evilKey.privateKey,
        keyId: `${evilOrigin}/key`,
      }),
    ).toBe(401);
    // Carol's own signature, but the Like's id is on another origin than Carol.
    const crossOrigin = newLikeId(evilOrigin);
    expect(await deliver(await likeJson(crossOrigin))).toBe(401);
    const unsigned = newLikeId();
    expect((await fetch(post(await likeJson(unsigned)))).status).toBe(401);
    await drained();
    for (const id of [forged, crossOrigin, unsigned]) expect(await stored(id)).toEqual([]);
  });

  it("refuses a malformed extension or another currency, storing nothing", async () => {
    const badPeriod = newLikeId();
    expect(await deliver({ ...(await likeJson(badPeriod)), flattrPeriod: "2026-13" })).toBe(202);
    const dollars = newLikeId();
    expect(await deliver({ ...(await likeJson(dollars)), flattrCurrency: "USD" })).toBe(202);
    const twice = newLikeId();
    expect(
      await deliver({ ...(await likeJson(twice)), flattrPeriod: ["2026-05", "2026-06"] }),
    ).toBe(202);
    await drained();
    for (const id of [badPeriod, dollars, twice]) expect(await stored(id)).toEqual([]);
    // Nothing of these is money anywhere, and no favourite was made of them either.
    const favourites = (await favouriteRows(two)).map((f) => f.activity_id);
    for (const id of [badPeriod, dollars, twice]) expect(favourites).not.toContain(id);
    await expectLedgersSound(one, two);
  });
});

describe("inbound flattrs stored in the request (ADR 0016)", () => {
  it("a flattr of a post, from a payer and a peer known here, is stored by the time of its 202", async () => {
    const posts: string[] = [];
    for (let i = 0; i < 5; i++) {
      const uri = `${two.origin}/users/Bob/statuses/${900 + i}`;
      await localPostThing(two, bobId, uri);
      posts.push(uri);
    }
    // The first Like of a payer goes the long way (the payer and the peer are read there).
    const first = newLikeId();
    expect(await deliver(await likeJson(first, posts[0]))).toBe(202);
    await drained();
    expect(await stored(first)).toHaveLength(1);

    // Personal inbox, three times: one row, there when the first 202 came.
    const personal = newLikeId();
    const body = await likeJson(personal, posts[1]);
    expect(await deliver(body)).toBe(202);
    expect(await stored(personal)).toHaveLength(1);
    for (let i = 0; i < 2; i++) expect(await deliver(body)).toBe(202);
    expect(await stored(personal)).toHaveLength(1);
    // The shared inbox too.
    const shared = newLikeId();
    expect(await deliver(await likeJson(shared, posts[2]), undefined, `${two.origin}/inbox`)).toBe(
      202,
    );
    expect(await stored(shared)).toHaveLength(1);

    // An inbox of nobody here: Fedify answers as ever, nothing is stored.
    const nobody = newLikeId();
    expect(
      await deliver(
        await likeJson(nobody, posts[3]),
        undefined,
        `${two.origin}/users/Nobody/inbox`,
      ),
    ).toBe(404);
    // A flattr that is refused takes the long way, which refuses it: nothing is stored.
    const dollars = newLikeId();
    expect(await deliver({ ...(await likeJson(dollars, posts[4])), flattrCurrency: "USD" })).toBe(
      202,
    );
    await drained();
    expect(await stored(nobody)).toEqual([]);
    expect(await stored(dollars)).toEqual([]);
    await expectLedgersSound(one, two);
  });

  it("a payer met for the first time is fetched in the request: its first Likes, sent together, are stored by their 202s (ADR 0026)", async () => {
    await insertUser(one, "Dave");
    const dave = `${one.origin}/users/Dave`;
    const [rsa] = await loadOrCreateKeyPairs(one.deps.database.db, "Dave");
    const key = { privateKey: rsa!.privateKey, keyId: `${dave}#main-key` };
    const likes = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const uri = `${two.origin}/users/Bob/statuses/${950 + i}`;
        await localPostThing(two, bobId, uri);
        const id = newLikeId();
        const like = buildFlattrLike({ ...likeInput(id, uri), actor: new URL(dave) });
        return { id, body: await like.toJsonLd({ format: "compact" }) };
      }),
    );
    const statuses = await Promise.all(likes.map((l) => deliver(l.body, key)));
    expect(statuses).toEqual([202, 202, 202, 202]);
    // Each stored by the time of its 202, none through the queue.
    for (const l of likes) expect(await stored(l.id)).toHaveLength(1);
    expect(await queueRows(two.deps.database.db, "inbox")).toBe(0);
    const payers = await queryRows<{ n: string }>(
      two.deps.database.db,
      sql`select count(*)::text as n from remote_actors where uri = ${dave}`,
    );
    expect(payers[0]?.n).toBe("1");
    await expectLedgersSound(one, two);
  });
});
