import fc from "fast-check";
import { expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { MemoryRateLimiter } from "../../src/federation/memory-rate-limit.ts";

it("answers as a fixed window per key would, also when keys are evicted", () => {
  fc.assert(
    fc.property(
      fc.record({
        max: fc.integer({ min: 1, max: 5 }),
        windowSeconds: fc.integer({ min: 1, max: 10 }),
      }),
      fc.array(fc.record({ key: fc.constantFrom("a", "b", "c"), advanceMs: fc.nat(4000) }), {
        maxLength: 80,
      }),
      (limit, hits) => {
        const clock = fixedClock("2026-05-15T12:00:00Z");
        const limiter = new MemoryRateLimiter(limit, clock);
        const model = new Map<string, { window: number; count: number }>();
        const windowMs = limit.windowSeconds * 1000;
        for (const { key, advanceMs } of hits) {
          clock.advance(advanceMs);
          const now = clock.now().getTime();
          const window = Math.floor(now / windowMs);
          const m = model.get(key);
          const count = m && m.window === window ? m.count + 1 : 1;
          model.set(key, { window, count });
          const r = limiter.hit(key);
          expect(r.count).toBe(count);
          expect(r.allowed).toBe(count <= limit.max);
          expect(r.retryAfterSeconds).toBe(
            Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)),
          );
        }
      },
    ),
  );
});

it("keeps at most maxKeys keys, dropping ended windows first", () => {
  const clock = fixedClock("2026-05-15T12:00:00Z");
  const limiter = new MemoryRateLimiter({ max: 1, windowSeconds: 60 }, clock, 10);
  for (let i = 0; i < 10; i++) limiter.hit(`old${i}`);
  clock.advance(60_000);
  limiter.hit("new");
  // The old windows ended: their keys went, so each starts afresh (allowed again).
  expect(limiter.hit("old0").allowed).toBe(true);
  // A full table of current windows forgets its oldest keys rather than growing.
  for (let i = 0; i < 30; i++) limiter.hit(`k${i}`);
  expect(limiter.hit("k29").allowed).toBe(false);
});
