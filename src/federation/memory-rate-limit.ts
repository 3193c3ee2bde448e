import type { RateLimit, RateLimitResult } from "../accounts/rate-limit.ts";
import type { Clock } from "../config/clock.ts";

/**
 * Fixed-window counters in this process's memory, with the windows and answers of
 * `hitRateLimit` (src/accounts/rate-limit.ts) but no database round trip. For limits that protect
 * this process's own work, like the inbox's per-IP limit before signatures are verified: a
 * database upsert there cost about as much as the rest of refusing the request. With several web
 * processes each counts its own requests. At most `maxKeys` keys are kept; past that, keys whose
 * window has ended are dropped, and if none has, the oldest are.
 */
export class MemoryRateLimiter {
  readonly #counts = new Map<string, { windowStart: number; count: number }>();
  readonly #limit: RateLimit;
  readonly #clock: Clock;
  readonly #maxKeys: number;

  constructor(limit: RateLimit, clock: Clock, maxKeys = 100_000) {
    this.#limit = limit;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  hit(key: string): RateLimitResult {
    const now = this.#clock.now().getTime();
    const windowMs = this.#limit.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    let entry = this.#counts.get(key);
    if (entry === undefined || entry.windowStart < windowStart) {
      if (entry === undefined && this.#counts.size >= this.#maxKeys) this.#evict(windowStart);
      entry = { windowStart, count: 0 };
      this.#counts.set(key, entry);
    }
    entry.count++;
    return {
      allowed: entry.count <= this.#limit.max,
      count: entry.count,
      retryAfterSeconds: Math.max(1, Math.ceil((entry.windowStart + windowMs - now) / 1000)),
    };
  }

  #evict(currentWindow: number): void {
    for (const [key, entry] of this.#counts) {
      if (entry.windowStart < currentWindow) this.#counts.delete(key);
    }
    // Still full: everyone is in the current window; forget the oldest tenth.
    let drop = this.#counts.size >= this.#maxKeys ? Math.ceil(this.#maxKeys / 10) : 0;
    for (const key of this.#counts.keys()) {
      if (drop-- <= 0) break;
      this.#counts.delete(key);
    }
  }
}
