import { generateCryptoKeyPair } from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import { MemoryKeyCache } from "../../src/federation/key-cache.ts";

const keyId = new URL("https://peer.example/users/a#main-key");

async function aKey(): Promise<CryptographicKey> {
  const { publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  return new CryptographicKey({ id: keyId, publicKey });
}

describe("MemoryKeyCache", () => {
  it("lets the first miss fetch and the concurrent ones wait for what it stores", async () => {
    const cache = new MemoryKeyCache();
    expect(await cache.get(keyId)).toBeUndefined();
    const waiting = [cache.get(keyId), cache.get(keyId)];
    const key = await aKey();
    await cache.set(keyId, key);
    expect(await Promise.all(waiting)).toEqual([key, key]);
    expect(await cache.get(keyId)).toBe(key);
  });

  it("passes a failed fetch (null) on to the waiters, remembered briefly", async () => {
    let now = 0;
    const cache = new MemoryKeyCache({ now: () => now, missTtlMs: 1000 });
    expect(await cache.get(keyId)).toBeUndefined();
    const waiting = cache.get(keyId);
    await cache.set(keyId, null);
    expect(await waiting).toBeNull();
    now = 1001;
    expect(await cache.get(keyId)).toBeUndefined();
  });

  it("lets waiters fetch themselves when the first fetch never stores anything", async () => {
    const cache = new MemoryKeyCache({ waitMs: 20 });
    expect(await cache.get(keyId)).toBeUndefined();
    expect(await cache.get(keyId)).toBeUndefined();
    // The timed-out fetch is forgotten: the next miss fetches again.
    expect(await cache.get(keyId)).toBeUndefined();
  });
});
