import type { KeyCache } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";

/**
 * Remote public keys the inbox guard verified signatures with, kept in memory for a while: a
 * busy peer signs every delivery with the same key, and fetching or parsing it again each time
 * was most of an inbound activity's cost. Stale entries are harmless: Fedify fetches the key
 * afresh when a signature does not verify with the cached one (a rotated key). Keys that could
 * not be fetched are remembered briefly, so a flood naming a dead keyId is not a fetch each.
 */
export class MemoryKeyCache implements KeyCache {
  readonly #entries = new Map<string, { key: CryptographicKey | Multikey | null; until: number }>();
  readonly #ttlMs: number;
  readonly #missTtlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(
    options: { ttlMs?: number; missTtlMs?: number; max?: number; now?: () => number } = {},
  ) {
    this.#ttlMs = options.ttlMs ?? 3_600_000;
    this.#missTtlMs = options.missTtlMs ?? 60_000;
    this.#max = options.max ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async get(keyId: URL): Promise<CryptographicKey | Multikey | null | undefined> {
    const entry = this.#entries.get(keyId.href);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      this.#entries.delete(keyId.href);
      return undefined;
    }
    return entry.key;
  }

  async set(keyId: URL, key: CryptographicKey | Multikey | null): Promise<void> {
    if (this.#entries.size >= this.#max) {
      // Oldest first (Map keeps insertion order): drop a tenth rather than one at a time.
      let drop = Math.ceil(this.#max / 10);
      for (const k of this.#entries.keys()) {
        this.#entries.delete(k);
        if (--drop === 0) break;
      }
    }
    this.#entries.delete(keyId.href);
    const ttl = key === null ? this.#missTtlMs : this.#ttlMs;
    this.#entries.set(keyId.href, { key, until: this.#now() + ttl });
  }
}
