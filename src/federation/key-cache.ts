import type { KeyCache } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";

/**
 * Remote public keys the inbox guard verified signatures with, kept in memory for a while: a
 * busy peer signs every delivery with the same key, and fetching or parsing it again each time
 * was most of an inbound activity's cost. Stale entries are harmless: Fedify fetches the key
 * afresh when a signature does not verify with the cached one (a rotated key). Keys that could
 * not be fetched are remembered briefly, so a flood naming a dead keyId is not a fetch each.
 *
 * A peer's first deliveries come together (a sender keeps several connections busy), and each
 * missed the cache and fetched and parsed the same actor document: the bench saw 10–16 fetches
 * per new remote actor. Now the first miss of a key fetches it and the others wait for its
 * `set` (at most `waitMs`, after which they fetch themselves, as before).
 */
export class MemoryKeyCache implements KeyCache {
  readonly #entries = new Map<string, { key: CryptographicKey | Multikey | null; until: number }>();
  readonly #ttlMs: number;
  readonly #missTtlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #waitMs: number;
  /** Keys being fetched now (by the caller whose `get` missed first), with their waiters. */
  readonly #fetching = new Map<string, Fetching>();

  constructor(
    options: {
      ttlMs?: number;
      missTtlMs?: number;
      max?: number;
      now?: () => number;
      waitMs?: number;
    } = {},
  ) {
    this.#ttlMs = options.ttlMs ?? 3_600_000;
    this.#missTtlMs = options.missTtlMs ?? 60_000;
    this.#max = options.max ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#waitMs = options.waitMs ?? 5_000;
  }

  async get(keyId: URL): Promise<CryptographicKey | Multikey | null | undefined> {
    const entry = this.#entries.get(keyId.href);
    if (entry !== undefined && entry.until > this.#now()) return entry.key;
    if (entry !== undefined) this.#entries.delete(keyId.href);
    const fetching = this.#fetching.get(keyId.href);
    if (fetching !== undefined) return fetching.result;
    // This caller fetches; the next ones wait for its `set`.
    if (this.#fetching.size >= this.#max) this.#forgetFetching();
    this.#fetching.set(keyId.href, this.#waitFor(keyId.href));
    return undefined;
  }

  /** A fetch that never `set` (it threw) lets its waiters go after `waitMs`. */
  #waitFor(href: string): Fetching {
    let done!: Fetching["done"];
    const result = new Promise<CryptographicKey | Multikey | null | undefined>((resolve) => {
      const timer = setTimeout(() => {
        if (this.#fetching.get(href) === fetching) this.#fetching.delete(href);
        resolve(undefined);
      }, this.#waitMs);
      timer.unref?.();
      done = (key) => {
        clearTimeout(timer);
        resolve(key);
      };
    });
    const fetching: Fetching = { result, done };
    return fetching;
  }

  #forgetFetching(): void {
    for (const f of this.#fetching.values()) f.done(undefined);
    this.#fetching.clear();
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
    this.#fetching.get(keyId.href)?.done(key);
    this.#fetching.delete(keyId.href);
  }
}

interface Fetching {
  /** What the fetching caller `set`; undefined (fetch it yourself) when it took too long. */
  result: Promise<CryptographicKey | Multikey | null | undefined>;
  done(key: CryptographicKey | Multikey | null | undefined): void;
}
