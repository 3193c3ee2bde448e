import { request as httpRequest } from "node:http";
import { generateCryptoKeyPair } from "@fedify/fedify";
import { Like } from "@fedify/vocab";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { queryRows } from "../../src/db/client.ts";
import { federationContext } from "../../src/federation/federation.ts";
import { blockDomain } from "../../src/flattr/domain-blocks.ts";
import { unblockDomain } from "../../src/peers/blocks.ts";
import { AP, type FakeRemote, startFakeRemote } from "../helpers/fake-remote.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { insertUser, waitFor } from "./support.ts";

// One real instance; remote servers are hand-made (fake-remote.ts) or plain Fedify, on loopback.
// TRUST_PROXY lets each test come from its own client IP (X-Forwarded-For), so the small
// per-IP limit below is only reached where a test means to reach it.
let instance: TestInstance;
let bob: string;
let inbox: string;
const remotes: FakeRemote[] = [];
const logs: LogRecord[] = [];
let ipSeq = 0;
const freshIp = () => ({ "X-Forwarded-For": `198.51.100.${++ipSeq}` });

beforeAll(async () => {
  await configure({
    reset: true,
    sinks: { memory: (record) => logs.push(record) },
    loggers: [
      { category: ["fediflattr"], lowestLevel: "info", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  instance = await startTestInstance(
    { TRUST_PROXY: "true", INBOX_IP_RATE_LIMIT: "5/3600", INBOX_RATE_LIMIT: "3/3600" },
    // Fixed: every hit of a test lands in one rate-limit window.
    { clock: fixedClock(new Date()) },
  );
  await insertUser(instance, "bob");
  bob = `${instance.origin}/users/bob`;
  inbox = `${bob}/inbox`;
});
afterAll(async () => {
  await Promise.all(remotes.map((r) => r.stop()));
  await instance?.stop();
  await reset();
});

async function remote(hostname?: string): Promise<FakeRemote> {
  const r = await startFakeRemote(hostname);
  remotes.push(r);
  return r;
}

let likeSeq = 0;
function likeJson(from: FakeRemote, context: unknown = "https://www.w3.org/ns/activitystreams") {
  return {
    "@context": context,
    id: `${from.actor}#likes/${++likeSeq}`,
    type: "Like",
    actor: from.actor,
    object: bob,
  };
}

function refusals(status: number): LogRecord[] {
  return logs.filter(
    (r) =>
      r.rawMessage.toString().startsWith("Refused inbox POST") && r.properties.status === status,
  );
}

/**
 * POSTs up to `total` bytes in 64 KiB chunks, stopping as soon as the server answers; resolves
 * with the status and how many bytes had been handed to the socket by then.
 */
function streamPost(
  url: string,
  headers: Record<string, string>,
  total: number,
): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const req = httpRequest(url, { method: "POST", headers }, (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
      req.destroy();
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe("inbox bodies are capped while they are read", () => {
  const HUNDRED_MB = 100 * 1024 * 1024;

  it("answers an unsigned 100 MB POST before reading it, and a signed one at the cap", async () => {
    const unsigned = await streamPost(
      inbox,
      { "Content-Type": AP, "Transfer-Encoding": "chunked", ...freshIp() },
      HUNDRED_MB,
    );
    expect(unsigned.status).toBe(401);
    expect(unsigned.sent).toBeLessThan(HUNDRED_MB);

    const from = await remote();
    const signature = `keyId="${from.keyId}",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"`;
    const capped = await streamPost(
      inbox,
      { "Content-Type": AP, "Transfer-Encoding": "chunked", Signature: signature, ...freshIp() },
      HUNDRED_MB,
    );
    expect(capped.status).toBe(413);
    expect(capped.sent).toBeLessThan(HUNDRED_MB);
    // Cut off before anything was verified: the key was never fetched.
    expect(from.hits("/users/eve")).toBe(0);
    expect(refusals(413).length).toBeGreaterThan(0);
  });

  it("refuses a declared Content-Length above the cap without waiting for the body", async () => {
    const from = await remote();
    const res = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        inbox,
        {
          method: "POST",
          headers: {
            "Content-Type": AP,
            "Content-Length": String(2 * 1024 * 1024),
            Signature: `keyId="${from.keyId}",headers="date",signature="AAAA"`,
            ...freshIp(),
          },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on("error", reject);
      req.flushHeaders(); // no body byte is ever sent
    });
    expect(res).toBe(413);
  });
});

describe("nothing the body names is fetched before the signature is verified", () => {
  it("an unsigned POST, and one signed with the wrong key, fetch nothing they name", async () => {
    const from = await remote();
    const body = {
      ...likeJson(from, ["https://www.w3.org/ns/activitystreams", `${from.origin}/ctx`]),
      object: `${from.origin}/objects/1`,
    };
    const unsigned = await fetch(inbox, {
      method: "POST",
      headers: { "Content-Type": AP, ...freshIp() },
      body: JSON.stringify(body),
    });
    expect(unsigned.status).toBe(401);

    const stranger = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const forged = await fetch(
      await from.signed(inbox, body, { privateKey: stranger.privateKey, headers: freshIp() }),
    );
    expect(forged.status).toBe(401);
    // The key its signature names was fetched, to find the signature false; nothing else.
    expect(from.hits("/users/eve")).toBe(1);
    expect(from.hits("/ctx")).toBe(0);
    expect(from.hits("/objects/1")).toBe(0);
  });

  it("fetches a context the body names once the signature is verified", async () => {
    const from = await remote();
    const body = likeJson(from, ["https://www.w3.org/ns/activitystreams", `${from.origin}/ctx`]);
    const res = await fetch(await from.signed(inbox, body, { headers: freshIp() }));
    expect(res.status).toBe(202);
    expect(from.hits("/ctx")).toBeGreaterThan(0);
  });
});

describe("each signature is verified once", () => {
  let plain: PlainFedify;
  beforeAll(async () => {
    plain = await startPlainFedify();
    plain.addUser("mallory");
  });
  afterAll(async () => {
    await plain?.stop();
  });

  it("a delivery carrying an HTTP signature, an LD signature and a proof costs one verify", async () => {
    const verify = vi.spyOn(crypto.subtle, "verify");
    try {
      // Fedify signs with all three when the sender has RSA and Ed25519 keys, as here.
      await plain.send(
        "mallory",
        { id: new URL(bob), inboxId: new URL(inbox) },
        new Like({
          id: new URL(`${plain.actorUri("mallory")}#likes/1`),
          actor: new URL(plain.actorUri("mallory")),
          object: new URL(bob),
        }),
      );
      // Processed by the worker too (the inbox queue is empty again) before counting.
      await waitFor(async () => {
        const [row] = await queryRows<{ n: string }>(
          instance.deps.database.db,
          sql`select count(*)::text as n from fedify_queue where channel = 'inbox'`,
        );
        return row?.n === "0";
      });
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });
});

describe("rate limits", () => {
  it("per client IP before verification: 429 with Retry-After", async () => {
    const headers = { "Content-Type": AP, "X-Forwarded-For": "203.0.113.7" };
    const post = () => fetch(inbox, { method: "POST", headers, body: "{}" });
    for (let i = 0; i < 5; i++) expect((await post()).status).toBe(401);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another address is not affected.
    const other = await fetch(inbox, {
      method: "POST",
      headers: { ...headers, "X-Forwarded-For": "203.0.113.8" },
      body: "{}",
    });
    expect(other.status).toBe(401);
    expect(refusals(429).length).toBeGreaterThan(0);
  });

  it("per verified server after it; forgeries naming the server's key do not count", async () => {
    const from = await remote();
    const stranger = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    for (let i = 0; i < 4; i++) {
      const forged = await from.signed(inbox, likeJson(from), {
        privateKey: stranger.privateKey,
        headers: freshIp(),
      });
      expect((await fetch(forged)).status).toBe(401);
    }
    for (let i = 0; i < 3; i++) {
      const res = await fetch(await from.signed(inbox, likeJson(from), { headers: freshIp() }));
      expect(res.status).toBe(202);
    }
    const limited = await fetch(await from.signed(inbox, likeJson(from), { headers: freshIp() }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("a blocked server", () => {
  it("is refused inbound before anything is fetched, not looked up, and not delivered to", async () => {
    // 127.0.0.2 is loopback too, and a different host than this instance's 127.0.0.1.
    const blocked = await remote("127.0.0.2");
    const blocking = await blockDomain(
      instance.deps.database.db,
      instance.deps.clock,
      instance.deps.config.origin,
      "127.0.0.2",
      "test",
    );
    expect(blocking.ok).toBe(true);

    const res = await fetch(await blocked.signed(inbox, likeJson(blocked), { headers: freshIp() }));
    expect(res.status).toBe(403);
    expect(refusals(403).length).toBeGreaterThan(0);

    const ctx = federationContext(instance.federation, instance.deps);
    await expect(ctx.documentLoader(blocked.actor)).rejects.toThrow(/blocked/);
    expect(await ctx.lookupObject(blocked.actor).catch(() => null)).toBeNull();
    expect(blocked.hits("/users/eve")).toBe(0);

    await ctx.sendActivity(
      { identifier: "bob" },
      { id: new URL(blocked.actor), inboxId: new URL(`${blocked.actor}/inbox`) },
      new Like({
        id: new URL(`${bob}#likes/blocked`),
        actor: new URL(bob),
        object: new URL(blocked.actor),
      }),
    );
    // Handled (dropped) once no outbox or fan-out message is left.
    await waitFor(async () => {
      const [row] = await queryRows<{ n: string }>(
        instance.deps.database.db,
        sql`select count(*)::text as n from fedify_queue where channel in ('outbox', 'fanout')`,
      );
      return row?.n === "0";
    });
    expect(blocked.hits("/users/eve/inbox")).toBe(0);
    expect(logs.some((r) => r.rawMessage.toString().startsWith("Dropped delivery"))).toBe(true);

    // Sent at once, without the queue: still not delivered; an allowed inbox beside it still is.
    const allowed = await remote();
    const dropped = logs.length;
    await ctx.sendActivity(
      { identifier: "bob" },
      [
        { id: new URL(blocked.actor), inboxId: new URL(`${blocked.actor}/inbox`) },
        { id: new URL(allowed.actor), inboxId: new URL(`${allowed.actor}/inbox`) },
      ],
      new Like({
        id: new URL(`${bob}#likes/blocked-immediate`),
        actor: new URL(bob),
        object: new URL(blocked.actor),
      }),
      { immediate: true },
    );
    expect(blocked.hits("/users/eve/inbox")).toBe(0);
    expect(allowed.hits("/users/eve/inbox")).toBe(1);
    expect(
      logs.slice(dropped).some((r) => r.rawMessage.toString().startsWith("Dropped delivery")),
    ).toBe(true);

    // Unblocked: its next activity is taken at once (the guard holds blocks in memory).
    expect((await unblockDomain(instance.deps.database.db, "127.0.0.2")).ok).toBe(true);
    const again = await fetch(
      await blocked.signed(inbox, likeJson(blocked), { headers: freshIp() }),
    );
    expect(again.status).toBe(202);
  });
});
