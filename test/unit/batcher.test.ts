import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Batcher, type BatchStats, observeBatches } from "../../src/db/batcher.ts";

// The batcher schedules with setImmediate, so waiting for one turns the event loop past it.
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await tick();
};

type Outcome<T> = { value: T } | { error: unknown };
const settle = <T>(p: Promise<T>): Promise<Outcome<T>> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
// What an item got: its value, or the text of the error that failed it.
const got = (o: Outcome<unknown>) => ("value" in o ? o.value : String(o.error));

interface Item {
  id: number;
  x: number;
}

describe("Batcher under random load", () => {
  it("gives every item its own outcome once, runs it once, within maxBatch and maxInFlight", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        // Groups of values submitted in one tick, each followed by a pause of 0..3 turns.
        fc.array(
          fc.tuple(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 12 }), fc.nat(3)),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        // Per batch (cyclically): microtask hops, event-loop turns, whether the whole batch throws.
        fc.array(fc.tuple(fc.nat(4), fc.nat(3), fc.boolean()), { minLength: 1, maxLength: 10 }),
        async (maxBatch, maxInFlight, groups, delays) => {
          const runsOf = new Map<number, number>();
          const batchErrorOf = new Map<number, Error>();
          let batches = 0;
          let running = 0;
          let maxRunning = 0;
          const batcher = new Batcher<Item, string>({
            maxBatch,
            maxInFlight,
            run: async (items) => {
              const [hops, turns, fails] = delays[batches % delays.length] ?? [0, 0, false];
              const error = new Error(`batch ${batches++}`);
              expect(items.length).toBeGreaterThanOrEqual(1);
              expect(items.length).toBeLessThanOrEqual(maxBatch);
              for (const { id } of items) {
                runsOf.set(id, (runsOf.get(id) ?? 0) + 1);
                if (fails) batchErrorOf.set(id, error);
              }
              maxRunning = Math.max(maxRunning, ++running);
              try {
                for (let i = 0; i < hops; i++) await Promise.resolve();
                await ticks(turns);
                if (fails) throw error;
                return items.map(({ id, x }) =>
                  x % 3 === 0 ? new Error(`item ${id}`) : `${id}:${x * 2}`,
                );
              } finally {
                running--;
              }
            },
          });

          const submitted: { item: Item; outcome: Promise<Outcome<string>> }[] = [];
          const settledOf = new Map<number, number>();
          for (const [values, pause] of groups) {
            for (const x of values) {
              const item = { id: submitted.length, x };
              const count = () => settledOf.set(item.id, (settledOf.get(item.id) ?? 0) + 1);
              submitted.push({ item, outcome: settle(batcher.submit(item).finally(count)) });
            }
            expect(batcher.inFlight).toBeLessThanOrEqual(maxInFlight);
            await ticks(pause);
          }

          for (const { item, outcome } of submitted) {
            const result = await outcome; // before the lookup: run may not have seen the item yet
            const batchError = batchErrorOf.get(item.id);
            if (batchError) expect(result).toEqual({ error: batchError });
            else if (item.x % 3 === 0)
              expect(result).toEqual({ error: new Error(`item ${item.id}`) });
            else expect(result).toEqual({ value: `${item.id}:${item.x * 2}` });
            expect(runsOf.get(item.id)).toBe(1);
          }
          await ticks(2);
          expect([...settledOf.values()].every((n) => n === 1)).toBe(true);
          expect(settledOf.size).toBe(submitted.length);
          expect(runsOf.size).toBe(submitted.length);
          expect(maxRunning).toBeLessThanOrEqual(maxInFlight);
          expect(batcher.inFlight).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("Batcher failures", () => {
  it("fails only the batch whose run throws or rejects, and keeps working", async () => {
    for (const how of ["throws", "rejects"] as const) {
      const boom = new Error(`boom ${how}`);
      const batcher = new Batcher<number, number>({
        maxBatch: 3,
        maxInFlight: 2,
        run: (items) => {
          if (!items.includes(13)) return Promise.resolve(items.map((x) => x * 2));
          if (how === "throws") throw boom;
          return Promise.reject(boom);
        },
      });
      // Same tick, nothing in flight: [11, 12, 13] and [14, 15] go out as two batches at once.
      const outcomes = await Promise.all(
        [11, 12, 13, 14, 15].map((x) => settle(batcher.submit(x))),
      );
      expect(outcomes.map(got)).toEqual([...Array(3).fill(String(boom)), 28, 30]);
      expect(outcomes[0] && "error" in outcomes[0] && outcomes[0].error).toBe(boom);
      expect(await batcher.submit(1)).toBe(2);
      // inFlight drops a microtask after the items settle, hence the turn.
      await tick();
      expect(batcher.inFlight).toBe(0);
    }
  });

  it("fails every item of a batch that answers the wrong number of results", async () => {
    for (const extra of [-1, 1]) {
      const batcher = new Batcher<number, number>({
        maxBatch: 2,
        maxInFlight: 1,
        run: async (items) => {
          const results = items.map((x) => x * 2);
          if (items.includes(3)) return extra < 0 ? results.slice(1) : [...results, 0];
          return results;
        },
      });
      const outcomes = await Promise.all([1, 2, 3, 4, 5].map((x) => settle(batcher.submit(x))));
      const wrongCount = expect.stringMatching(/batch of 2 answered/);
      expect(outcomes.map(got)).toEqual([2, 4, wrongCount, wrongCount, 10]);
      expect(await batcher.submit(6)).toBe(12);
    }
  });
});

describe("Batcher batching", () => {
  const recording = (maxBatch: number, maxInFlight: number) => {
    const batches: number[][] = [];
    const release: (() => void)[] = [];
    const batcher = new Batcher<number, number>({
      maxBatch,
      maxInFlight,
      run: (items) => {
        batches.push(items);
        return new Promise((resolve) => release.push(() => resolve(items.map((x) => -x))));
      },
    });
    return { batcher, batches, release };
  };

  it("sends one item per batch under light load", async () => {
    const { batcher, batches, release } = recording(8, 1);
    for (let x = 1; x <= 4; x++) {
      const answer = batcher.submit(x);
      // Two turns: the previous batch frees its slot only after our await resumed.
      await ticks(2);
      expect(batches).toHaveLength(x);
      release.shift()?.();
      expect(await answer).toBe(-x);
    }
    expect(batches).toEqual([[1], [2], [3], [4]]);
  });

  it("sends items of one tick together, and queues them while maxInFlight batches run", async () => {
    const { batcher, batches, release } = recording(3, 2);
    const first = [1, 2].map((x) => batcher.submit(x));
    await tick();
    expect(batches).toEqual([[1, 2]]);
    const second = [3].map((x) => batcher.submit(x));
    await tick();
    expect(batches).toEqual([[1, 2], [3]]);
    expect(batcher.inFlight).toBe(2);

    // Both slots busy: these wait, then leave as full batches rather than one by one.
    const waiting = [4, 5, 6, 7, 8].map((x) => batcher.submit(x));
    await ticks(3);
    expect(batches).toHaveLength(2);
    release.shift()?.();
    expect(await Promise.all(first)).toEqual([-1, -2]);
    await ticks(2);
    expect(batches).toEqual([[1, 2], [3], [4, 5, 6]]);
    release.shift()?.();
    await ticks(2);
    expect(batches).toEqual([[1, 2], [3], [4, 5, 6], [7, 8]]);
    for (const r of release.splice(0)) r();
    expect(await Promise.all([...second, ...waiting])).toEqual([-3, -4, -5, -6, -7, -8]);
  });
});

describe("Batcher under light load", () => {
  it("runs more batches at once only while those running hold few items", async () => {
    const batches: number[][] = [];
    const release: (() => void)[] = [];
    const batcher = new Batcher<number, number>({
      maxBatch: 8,
      maxInFlight: 1,
      lightLoad: { maxInFlight: 3, belowItems: 4 },
      run: (items) => {
        batches.push(items);
        return new Promise((resolve) => release.push(() => resolve(items)));
      },
    });
    const answers = [batcher.submit(1)];
    await tick();
    answers.push(batcher.submit(2), batcher.submit(3));
    await tick();
    // One item running: below 4, so a second batch starts although maxInFlight is 1.
    expect(batches).toEqual([[1], [2, 3]]);
    answers.push(...[4, 5].map((x) => batcher.submit(x)));
    await ticks(3);
    // Three items running: still below 4, a third batch (the light limit).
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
    answers.push(batcher.submit(6));
    await ticks(3);
    expect(batcher.inFlight).toBe(3);
    expect(batches).toHaveLength(3);
    release.shift()?.(); // [1] done: 4 items still running, not below 4, and 2 batches > 1
    await ticks(3);
    expect(batches).toHaveLength(3);
    release.shift()?.(); // [2, 3] done: 2 items running, below 4: [6] may start
    await ticks(3);
    expect(batches).toEqual([[1], [2, 3], [4, 5], [6]]);
    for (const r of release.splice(0)) r();
    expect(await Promise.all(answers)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("observeBatches", () => {
  it("reports each batch's size, slots in use and times, and nothing once stopped", async () => {
    const seen: BatchStats[] = [];
    observeBatches((s) => seen.push(s));
    try {
      const release: (() => void)[] = [];
      const batcher = new Batcher<number, number>({
        maxBatch: 8,
        maxInFlight: 2,
        run: (items) => new Promise((resolve) => release.push(() => resolve(items))),
      });
      const first = batcher.submit(1);
      await tick();
      const second = [2, 3].map((x) => batcher.submit(x));
      await tick();
      await new Promise((r) => setTimeout(r, 5));
      for (const r of release.splice(0)) r();
      await Promise.all([first, ...second]);
      expect(seen.map((s) => [s.size, s.inFlight])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      for (const s of seen) {
        expect(s.queuedMs).toBeGreaterThanOrEqual(0);
        expect(s.runMs).toBeGreaterThanOrEqual(4);
      }
    } finally {
      observeBatches(null);
    }
    const quiet = new Batcher<number, number>({ maxBatch: 8, maxInFlight: 1, run: async (x) => x });
    await quiet.submit(1);
    expect(seen).toHaveLength(2);
  });
});

describe("Batcher options", () => {
  it("refuses maxBatch or maxInFlight below 1", () => {
    const run = async (items: number[]) => items;
    for (const bad of [0, -1, 0.5, Number.NaN]) {
      expect(() => new Batcher({ run, maxBatch: bad, maxInFlight: 1 })).toThrow(RangeError);
      expect(() => new Batcher({ run, maxBatch: 1, maxInFlight: bad })).toThrow(RangeError);
    }
    expect(() => new Batcher({ run, maxBatch: 1, maxInFlight: 1 })).not.toThrow();
    for (const lightLoad of [
      { maxInFlight: 0, belowItems: 1 },
      { maxInFlight: 2, belowItems: -1 },
      { maxInFlight: 2, belowItems: 0.5 },
    ])
      expect(() => new Batcher({ run, maxBatch: 1, maxInFlight: 1, lightLoad })).toThrow(
        RangeError,
      );
  });
});
